resource "keywarden_client_webhook" "billing" {
  client_id = keywarden_client.billing.id
  url       = "https://billing.example.com/hooks/keywarden"
  events    = ["secret.*", "client.disabled"]
}
