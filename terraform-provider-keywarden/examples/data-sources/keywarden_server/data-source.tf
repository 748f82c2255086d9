# What a service that accepts Keywarden's access tokens needs.
data "keywarden_server" "this" {}

output "issuer" {
  value = data.keywarden_server.this.issuer
}

output "jwks" {
  value = data.keywarden_server.this.jwks
}
