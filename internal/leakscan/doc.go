// Package leakscan finds leaked Keywarden values — client secrets (personal
// credential secrets included), refresh tokens, admin API tokens and console
// session tokens — in text, files, directories, standard input and git
// history, for keywarden scan.
//
// One pattern per value kind (Pattern) finds candidates, including values
// split across lines the way people paste them (a hard wrap, a backslash
// continuation, a string literal concatenated over two lines; see
// docs/leaks.md). A candidate is reported only if secretvalue.Parse accepts
// it, so look-alikes with a wrong checksum never are. The rule files shipped
// for gitleaks, TruffleHog and GitHub (contrib/scanners) are generated from
// the same patterns by this package's tests, which also run the real gitleaks
// over a fixture repository.
//
// A Finding carries the value itself, as a secretvalue.Plaintext that prints
// as its hint only, so that a reporter can send it on to a server's report
// API once that exists. Git history is read with the git binary.
//
// Imports: secretvalue.
package leakscan
