// Package config owns Keywarden's settings: the Config type, defaults, and
// loading with one precedence order (defaults < YAML file < KEYWARDEN_*
// environment < flags). Unknown keys in the file are an error naming the
// key, and every problem is reported at once.
//
// It also parses the address lists the network settings hold
// (trusted proxies, the webhook allow-list) for the packages that use them.
//
// Imports: no internal packages (stdlib, pflag, go.yaml.in/yaml/v3).
package config
