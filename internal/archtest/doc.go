// Package archtest holds the test that enforces STYLE.md's dependency
// table: each package may import only the internal packages listed for it.
package archtest
