# A secret imports as CLIENT_ID/SECRET_ID; its value stays where it is.
tofu import keywarden_client_secret.billing kwc_3hT9xQ2mLw8ZbV1cR7pK0b/sec_3hT9xQ2mLw8ZbV1cR7pK0a
