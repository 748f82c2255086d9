# A user imports by their ID.
tofu import keywarden_user.ada usr_3hT9xQ2mLw8ZbV1cR7pK0c
