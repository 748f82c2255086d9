// Package config owns Keywarden's settings: the Config type, defaults, and
// loading with one precedence order (defaults < YAML file < KEYWARDEN_*
// environment < flags). Unknown keys in the file are an error naming the
// key, and every problem is reported at once.
//
// Imports: no internal packages (stdlib, pflag, yaml.v3).
package config
