ephemeral "keywarden_random_secret" "reports" {
  length = 48
}
