// VMHI - Virtual Machine Hypervisor Interface
// SPDX-License-Identifier: Apache-2.0
//
// vsphere-sim: VMware's vSphere simulator (govmomi's simulator package) as
// a test peer for VMHI's ESX backend.  It builds an ESX or vCenter model
// with a chosen number of VMs, serves it on a fixed loopback address over
// TLS (a self-signed certificate for 127.0.0.1) or plain HTTP, prints the
// SDK URL on stdout and runs until SIGINT or SIGTERM.
//
// Build offline with Debian's golang-go and golang-github-vmware-govmomi-dev:
//
//	GO111MODULE=off GOPROXY=off GOPATH=/usr/share/gocode go build
//
// scripts/esx/vsphere-sim.sh wraps building, starting and stopping it.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
)

type options struct {
	model    string
	vms      int
	listen   string
	plain    bool
	user     string
	password string
	urlFile  string
	certFile string
}

func parseOptions() options {
	var o options
	flag.StringVar(&o.model, "model", "esx", "inventory model: esx (one host) or vpx (a vCenter)")
	flag.IntVar(&o.vms, "vms", 2, "number of VMs (vpx: spread over a standalone host and a cluster)")
	flag.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to listen on; loopback only")
	flag.BoolVar(&o.plain, "http", false, "serve plain HTTP instead of HTTPS")
	flag.StringVar(&o.user, "user", "", "accept only this user name (default: any non-empty)")
	flag.StringVar(&o.password, "password", "", "password that goes with -user")
	flag.StringVar(&o.urlFile, "url-file", "", "also write the SDK URL to this file once serving")
	flag.StringVar(&o.certFile, "cert-file", "", "write the server certificate (PEM) here")
	flag.Parse()
	return o
}

// newModel returns the inventory model with roughly o.vms VMs.  The VPX
// model puts Machine VMs in each resource pool: one standalone host and
// one cluster give two pools.
func newModel(o options) (*simulator.Model, error) {
	switch o.model {
	case "esx":
		m := simulator.ESX()
		m.Machine = o.vms
		return m, nil
	case "vpx":
		m := simulator.VPX()
		m.ClusterHost = 1
		m.Machine = (o.vms + 1) / 2
		return m, nil
	}
	return nil, fmt.Errorf("-model %q: use esx or vpx", o.model)
}

// selfSigned makes a fresh ECDSA P-256 certificate for 127.0.0.1, ::1 and
// localhost.  (The simulator's built-in test certificate has a 1024-bit
// key, which OpenSSL's default security level rejects, so clients could
// not verify it even with cafile=.)
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"VMHI test peer"}, CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func run(o options) error {
	if o.vms < 0 {
		return fmt.Errorf("-vms %d: must be 0 or more", o.vms)
	}
	if (o.user == "") != (o.password == "") {
		return fmt.Errorf("-user and -password go together")
	}
	m, err := newModel(o)
	if err != nil {
		return err
	}
	if err := m.Create(); err != nil {
		return fmt.Errorf("creating the model: %v", err)
	}
	defer m.Remove()

	m.Service.Listen = &url.URL{Host: o.listen}
	if o.user != "" {
		m.Service.Listen.User = url.UserPassword(o.user, o.password)
	}
	if !o.plain {
		cert, certPEM, err := selfSigned()
		if err != nil {
			return fmt.Errorf("making a certificate: %v", err)
		}
		m.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		if o.certFile != "" {
			if err := ioutil.WriteFile(o.certFile, certPEM, 0o644); err != nil {
				return fmt.Errorf("writing %s: %v", o.certFile, err)
			}
		}
	}
	srv := m.Service.NewServer()
	defer srv.Close()
	u := *srv.URL
	u.User = nil
	fmt.Println(u.String())
	if o.urlFile != "" {
		if err := ioutil.WriteFile(o.urlFile, []byte(u.String()+"\n"), 0o644); err != nil {
			return fmt.Errorf("writing %s: %v", o.urlFile, err)
		}
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	// Exit without srv.Close(): it waits for every request in flight, and
	// a client's WaitForUpdatesEx long poll only ends at its maxWaitSeconds
	// (the simulator does not notice a client that went away).
	m.Remove()
	os.Exit(0)
	return nil
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("vsphere-sim: ")
	if err := run(parseOptions()); err != nil {
		log.Fatal(err)
	}
}
