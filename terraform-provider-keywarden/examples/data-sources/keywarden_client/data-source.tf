data "keywarden_client" "billing" {
  name = "Billing service"
}

output "billing_scopes" {
  value = data.keywarden_client.billing.scopes
}
