# A client imports by its ID.
tofu import keywarden_client.billing kwc_3hT9xQ2mLw8ZbV1cR7pK0b
