# A value Keywarden generates, written to the file the service reads.
# Changing keepers.rotation rotates it: the new secret is written to the
# file, the old one keeps working for an hour and then expires.
resource "keywarden_client_secret" "billing" {
  client_id            = keywarden_client.billing.id
  description          = "Production"
  value_file           = "/run/secrets/billing"
  keepers              = { rotation = "2031-q1" }
  grace_period_seconds = 3600
  renew_before         = "168h" # rotate a week before it expires

  lifecycle {
    create_before_destroy = true
  }
}

# A value made by an ephemeral resource and sent write-only: give the same
# ephemeral value to your secret store's write-only attribute, and bump both
# versions together to rotate.
ephemeral "keywarden_random_secret" "reports" {}

resource "keywarden_client_secret" "reports" {
  client_id        = keywarden_client.reports.id
  description      = "Production"
  value_wo         = ephemeral.keywarden_random_secret.reports.value
  value_wo_version = 1
}
