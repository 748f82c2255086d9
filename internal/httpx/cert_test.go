package httpx_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"keywarden/internal/httpx"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func selfSigned(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestClientCertificateOverRealTLS: a certificate presented in a real
// handshake reaches handlers through ClientCertificate, unverified in
// RequestClientCert mode; without one, ClientCertificate is nil.
func TestClientCertificateOverRealTLS(t *testing.T) {
	var got *httpx.ClientCert
	srv := httptest.NewUnstartedServer(httpx.ResolvePeer(httpx.Trust{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = httpx.ClientCertificate(r)
		if !httpx.Secure(r) {
			t.Error("TLS request not secure")
		}
	})))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	defer srv.Close()

	cert := selfSigned(t, "client-one")
	for _, tc := range []struct {
		name  string
		certs []tls.Certificate
		want  string
	}{
		{"with certificate", []tls.Certificate{cert}, "client-one"},
		{"without", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			tr := srv.Client().Transport.(*http.Transport).Clone()
			tr.TLSClientConfig.Certificates = tc.certs
			resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			switch {
			case tc.want == "" && got != nil:
				t.Errorf("certificate %v without one presented", got.Chain[0].Subject)
			case tc.want != "" && (got == nil || got.Chain[0].Subject.CommonName != tc.want || got.Source != "tls" || len(got.Verified) != 0):
				t.Errorf("certificate = %+v, want %s unverified from tls", got, tc.want)
			}
		})
	}
}
