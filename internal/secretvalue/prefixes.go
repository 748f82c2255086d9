package secretvalue

// Prefixes returns the prefix of every kind of generated value, so that a
// scanner looking for leaked values knows them all. A new Prefix constant
// belongs here too (prefixes_test.go checks it).
func Prefixes() []string {
	return []string{PrefixClientSecret, PrefixAPIToken, PrefixRefreshToken, PrefixSession, PrefixSetup}
}
