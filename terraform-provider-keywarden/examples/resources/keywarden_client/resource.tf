resource "keywarden_client" "billing" {
  name              = "Billing service"
  description       = "Issues invoices"
  scopes            = ["invoices:read", "invoices:write"]
  token_ttl_seconds = 600
  webhook_url       = "https://billing.example.com/hooks/keywarden"
  webhook_events    = ["secret.*", "client.disabled"]
}
