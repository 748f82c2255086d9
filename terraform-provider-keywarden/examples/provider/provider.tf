terraform {
  required_version = ">= 1.11.0" # write-only attributes and ephemeral resources
  required_providers {
    keywarden = {
      source = "keywarden/keywarden"
    }
  }
}

# The URL and the token come from KEYWARDEN_URL and KEYWARDEN_TOKEN, which
# keeps the token out of the configuration.
provider "keywarden" {}
