/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * idle-pv: a 64-bit PV guest kernel that does nothing, for the Xen test
 * bed.  It answers no request of the toolstack: a shutdown or reboot
 * request, a balloon target or a vCPU change is written to xenstore and
 * never acted upon, so it is the Xen counterpart of the KVM tests' empty
 * VMs (a guest that ignores ACPI).  It also costs no CPU, where each
 * guest of the distribution kernel boots Linux under TCG.
 *
 * What Xen's PV loader (libelf) needs is in the notes: the Xen version
 * and loader it is built for, where it is linked (VIRT_BASE and
 * PADDR_OFFSET 0: virtual address = guest-physical address, as Mini-OS
 * does), its entry point and the page Xen fills with hypercall stubs.
 * At the entry %rsi holds start_info and events are masked; the kernel
 * sets up a stack and polls no event channel with no timeout
 * (SCHEDOP_poll needs events masked, which they stay), forever: the vCPU
 * is blocked until Xen delivers an event, and then blocks again.
 */
#define __HYPERVISOR_sched_op 29
#define SCHEDOP_poll 3
#define XEN_ELFNOTE_ENTRY 1
#define XEN_ELFNOTE_HYPERCALL_PAGE 2
#define XEN_ELFNOTE_VIRT_BASE 3
#define XEN_ELFNOTE_PADDR_OFFSET 4
#define XEN_ELFNOTE_XEN_VERSION 5
#define XEN_ELFNOTE_GUEST_OS 6
#define XEN_ELFNOTE_GUEST_VERSION 7
#define XEN_ELFNOTE_LOADER 8

/* An ELF note of owner "Xen": header, then the caller's descriptor. */
.macro NOTE_HEAD type
    .balign 4
    .long 2f - 1f
    .long 4f - 3f
    .long \type
1:  .asciz "Xen"
2:  .balign 4
3:
.endm
.macro NOTE_STR type, text
    NOTE_HEAD \type
    .asciz "\text"
4:  .balign 4
.endm
.macro NOTE_ADDR type, addr
    NOTE_HEAD \type
    .quad \addr
4:  .balign 4
.endm

    .section .note.Xen, "a", @note
    NOTE_STR XEN_ELFNOTE_GUEST_OS, vmhi-idle
    NOTE_STR XEN_ELFNOTE_GUEST_VERSION, 1
    NOTE_STR XEN_ELFNOTE_XEN_VERSION, xen-3.0
    NOTE_STR XEN_ELFNOTE_LOADER, generic
    NOTE_ADDR XEN_ELFNOTE_VIRT_BASE, 0
    NOTE_ADDR XEN_ELFNOTE_PADDR_OFFSET, 0
    NOTE_ADDR XEN_ELFNOTE_ENTRY, _start
    NOTE_ADDR XEN_ELFNOTE_HYPERCALL_PAGE, hypercall_page

    .text
    .globl _start
_start:
    lea stack_top(%rip), %rsp
1:  mov $SCHEDOP_poll, %edi
    lea poll_none(%rip), %rsi
    call hypercall_page + __HYPERVISOR_sched_op * 32
    jmp 1b

    /* Xen writes a stub per hypercall here, 32 bytes each. */
    .balign 4096
hypercall_page:
    .fill 4096, 1, 0xcc

    .data
    .balign 8
poll_none:              /* struct sched_poll */
    .quad 0             /* ports */
    .long 0             /* nr_ports */
    .long 0
    .quad 0             /* timeout: none */

    .bss
    .balign 16
    .skip 4096
stack_top:
