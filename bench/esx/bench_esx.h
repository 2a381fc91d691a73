/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * What the legs of vmhi-bench-esx share.
 */
#ifndef VMHI_BENCH_ESX_H
#define VMHI_BENCH_ESX_H

#define MAX_ROUNDS 64

double now_ms(void);
double median(double *v, int n);

/* libvirt's esx driver, driven through virsh (bench_libvirt.c). */
struct libvirt_result {
    int nvms;       /* VMs virsh listed */
    int sampled;    /* VMs whose dominfo was timed (all, or an even sample) */
    double list;    /* median of `virsh list --all` */
    double info;    /* median of dominfo for every VM (scaled up from the sample) */
    double cycle;   /* median of destroy + start of one VM */
    /* SOAP round trips per list --all, per dominfo sweep of every VM
     * (scaled like info) and per destroy + start, counted by the shim */
    double list_calls, info_calls, cycle_calls;
};

/* Times virsh against esx://127.0.0.1:port/ (the xsi:type shim); virsh's
 * stderr goes to log.  Returns 0, or -1 with the reason on stderr. */
int libvirt_measure(int port, int rounds, int loop_rounds, int sample, const char *log,
                    struct libvirt_result *out);

#endif
