resource "keywarden_user" "ada" {
  email                  = "ada@example.com"
  role                   = "developer"
  one_time_password_file = "/run/onboarding/ada"
}
