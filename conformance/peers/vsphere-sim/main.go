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
	"crypto/tls"
	"encoding/pem"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

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

func writeCertificate(srv *simulator.Server, path string) error {
	cert := srv.Certificate()
	block := &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}
	return ioutil.WriteFile(path, pem.EncodeToMemory(block), 0o644)
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
		m.Service.TLS = new(tls.Config)
	}
	srv := m.Service.NewServer()
	defer srv.Close()

	if !o.plain && o.certFile != "" {
		if err := writeCertificate(srv, o.certFile); err != nil {
			return fmt.Errorf("writing %s: %v", o.certFile, err)
		}
	}
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
	return nil
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("vsphere-sim: ")
	if err := run(parseOptions()); err != nil {
		log.Fatal(err)
	}
}
