// VMHI - Virtual Machine Hypervisor Interface
// SPDX-License-Identifier: Apache-2.0
//
// xsitype-shim: an HTTPS reverse proxy that lets libvirt's esx driver talk
// to the vSphere simulator, for the benchmark only (VMHI talks to the
// simulator directly).  libvirt's driver decodes the items of an
// ArrayOfT value by their own xsi:type attribute, which a real ESX host
// writes and the simulator omits; without it every listing fails with
// "AnyType is missing 'type' property".  The shim adds xsi:type="T" (or
// "xsd:t" for XML Schema's own types) to each item that lacks one and
// passes everything else through unchanged.
//
// GET /xsitype-shim/requests answers how many requests it has passed on,
// so the benchmark can tell how many round trips (each a little slower
// through the shim) a virsh command costs.
//
// It serves HTTPS (libvirt's esx:// always uses it) with a self-signed
// certificate made at start-up, so clients need no_verify=1.
//
//	xsitype-shim -upstream https://127.0.0.1:PORT -port-file FILE
//
// Build offline with Debian's golang-go (standard library only):
//
//	GO111MODULE=off GOPROXY=off go build
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const countPath = "/xsitype-shim/requests"

// An element whose xsi:type is ArrayOfT (any prefix on "type" and on the
// value); the simulator writes the prefix as "XMLSchema-instance:".
var arrayType = regexp.MustCompile(`\s[\w.-]+:type="(?:[\w.-]+:)?ArrayOf([\w.-]+)"`)

// itemType is the xsi:type the children of tag must carry: "" when tag is
// not an array (or an ArrayOfAnyType, whose items name their own types).
func itemType(tag []byte) string {
	if !bytes.Contains(tag, []byte("ArrayOf")) {
		return ""
	}
	m := arrayType.FindSubmatch(tag)
	if m == nil || string(m[1]) == "AnyType" || string(m[1]) == "anyType" {
		return ""
	}
	t := string(m[1])
	if t[0] >= 'a' && t[0] <= 'z' { // string, int, long, boolean, ...
		return "xsd:" + t
	}
	return t
}

// hasPrefixedType says whether a start tag already names its xsi:type.  In
// vim25 responses the only prefixed "type" attribute is XML Schema's.
func hasPrefixedType(tag []byte) bool {
	return bytes.Contains(tag, []byte(`:type="`))
}

// withType returns the start tag with xsi:type="t" added before its end.
// The envelope declares the xsi and xsd prefixes.
func withType(tag []byte, t string) []byte {
	end := len(tag) - 1
	if tag[end-1] == '/' {
		end--
	}
	out := make([]byte, 0, len(tag)+len(t)+12)
	out = append(out, tag[:end]...)
	out = append(out, ` xsi:type="`...)
	out = append(out, t...)
	out = append(out, '"')
	return append(out, tag[end:]...)
}

// addItemTypes rewrites a SOAP response.  It walks the tags with a stack
// holding, per open element, the type its children must carry.  The
// simulator (Go's encoding/xml) escapes '>' in attribute values and text
// and writes no CDATA, so a tag always ends at the next '>'.
func addItemTypes(body []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(body) + len(body)/4)
	var stack []string
	for i := 0; i < len(body); {
		lt := bytes.IndexByte(body[i:], '<')
		gt := -1
		if lt >= 0 {
			gt = bytes.IndexByte(body[i+lt:], '>')
		}
		if lt < 0 || gt < 0 {
			out.Write(body[i:])
			break
		}
		lt += i
		gt += lt
		out.Write(body[i:lt])
		tag := body[lt : gt+1]
		switch {
		case len(tag) < 3 || tag[1] == '?' || tag[1] == '!':
		case tag[1] == '/':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		default:
			if n := len(stack); n > 0 && stack[n-1] != "" && !hasPrefixedType(tag) {
				tag = withType(tag, stack[n-1])
			}
			if tag[len(tag)-2] != '/' {
				stack = append(stack, itemType(tag))
			}
		}
		out.Write(tag)
		i = gt + 1
	}
	return out.Bytes()
}

func rewriteResponse(resp *http.Response) error {
	if !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	body = addItemTypes(body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// selfSigned makes a throw-away certificate for 127.0.0.1.
func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "xsitype-shim"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// counting passes requests to next and answers countPath itself.
func counting(next http.Handler) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == countPath {
			io.WriteString(w, strconv.FormatInt(n.Load(), 10)+"\n")
			return
		}
		n.Add(1)
		next.ServeHTTP(w, r)
	})
}

func main() {
	upstream := flag.String("upstream", "", "the simulator's base URL, e.g. https://127.0.0.1:8989")
	portFile := flag.String("port-file", "", "write the port served on here once listening")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil || target.Host == "" {
		log.Fatalf("xsitype-shim: -upstream needs a URL, got %q", *upstream)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	// The simulator's certificate is self-signed too; keep connections
	// alive so the shim adds as little as it can to each round trip.
	proxy.Transport = &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
		MaxIdleConnsPerHost: 16,
	}
	proxy.ModifyResponse = rewriteResponse

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{selfSigned()}})
	if *portFile != "" {
		if err := os.WriteFile(*portFile, []byte(port+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	log.Fatal(http.Serve(tlsLn, counting(proxy)))
}
