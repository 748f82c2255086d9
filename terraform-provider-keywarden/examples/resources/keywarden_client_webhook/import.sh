# An endpoint imports by its client ID.
tofu import keywarden_client_webhook.billing kwc_3hT9xQ2mLw8ZbV1cR7pK0b
