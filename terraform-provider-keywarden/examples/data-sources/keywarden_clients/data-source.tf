data "keywarden_clients" "disabled" {
  status = "disabled"
}

output "disabled_clients" {
  value = [for c in data.keywarden_clients.disabled.clients : c.name]
}
