/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The KVM benchmark's three legs (VMHI, the raw QMP floor, libvirt) and
 * what they share.  Each leg fills the same samples: milliseconds per
 * iteration for each operation.
 */
#ifndef VMHI_BENCH_KVM_H
#define VMHI_BENCH_KVM_H

#define BENCH_QEMU "/usr/bin/qemu-system-x86_64"
#define BENCH_MAX_ITER 200

typedef enum bench_op {
    OP_START,     /* VM defined and off -> running, first QMP answer */
    OP_DESTROY,   /* running -> process gone */
    OP_PAUSE,     /* one pause + one resume */
    OP_INFO,      /* state of a VM we hold */
    OP_LOOKUP,    /* find by name, then its state */
    OP_CYCLE,     /* define + start + destroy + undefine */
    OP_COUNT
} bench_op;

typedef struct bench_samples {
    double ms[OP_COUNT][BENCH_MAX_ITER];
    int n;
} bench_samples;

extern const char *const bench_op_names[OP_COUNT];

double bench_now_ms(void);
double bench_median(double *v, int n);
void bench_die(const char *what);
/* Records round @i of the VMHI and libvirt legs from the times taken
 * before start and after start, pause+resume, info, lookup+info and
 * destroy. */
void bench_record_round(bench_samples *s, int i, const double t[6]);

/* The raw floor: QEMU with the VM's machine and devices, QMP by hand.
 * @accel is "kvm" or "tcg"; @dir holds the socket.  *minimal gets the
 * median spawn..exit of a QEMU without devices. */
void bench_floor(bench_samples *s, int iters, const char *accel, const char *dir,
                 double *minimal);

/* libvirt's qemu driver at @uri (a private libvirtd, bench-kvm.sh), the
 * same VM; false (reason in *why) when libvirt cannot be driven. */
int bench_libvirt(bench_samples *s, int iters, const char *uri, const char *accel,
                  const char **why);

#endif
