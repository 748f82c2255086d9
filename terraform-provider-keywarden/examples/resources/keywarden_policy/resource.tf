resource "keywarden_policy" "org" {
  require_mfa              = true
  allow_never_expire       = false
  access_token_ttl_seconds = 900
  max_secret_lifetime_days = {
    developer = 30
    member    = 1
  }
}
