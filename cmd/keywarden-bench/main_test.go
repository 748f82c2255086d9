package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-concurrency", "0"},
		{"-concurrency", "16,x"},
		{"-concurrency", ""},
		{"-o", "yaml"},
		{"-nosuchflag"},
		{"extra"},
		{"-mode", "nosuchmode"},
		{"-mode", "bruteforce", "-attack-addresses", "0"},
		{"-mode", "bruteforce", "-attack-secrets", "weak"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, &stdout, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (stderr %q)", args, code, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("run(%q) wrote to stdout: %q", args, stdout.String())
		}
	}
}

func TestParseLevels(t *testing.T) {
	got, err := parseLevels(" 16, 64 ,1")
	if err != nil || len(got) != 3 || got[0] != 16 || got[1] != 64 || got[2] != 1 {
		t.Errorf("parseLevels = %v, %v", got, err)
	}
	if _, err := parseLevels("5000"); err == nil || !strings.Contains(err.Error(), "between 1 and") {
		t.Errorf("parseLevels(5000) = %v", err)
	}
}
