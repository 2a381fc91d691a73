/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * @file vmhi/event.h
 * @brief Events: subscriptions and delivery.
 *
 * Events are queued per connection as soon as a subscription exists and
 * are delivered in order, each exactly once to each matching subscriber.
 * There is no global event loop to register first.  Pick one way to get
 * them delivered:
 *  - integrate with your own loop: poll the descriptor from
 *    vmhi_conn_get_event_fd() for POLLIN and call
 *    vmhi_conn_dispatch_events() when it is readable; callbacks run in
 *    that thread;
 *  - or call vmhi_conn_start_event_thread() and callbacks run in a
 *    thread the library owns (one thread, so still in order).
 *
 * The queue holds at most 65536 events; beyond that the oldest are
 * dropped and the next delivered event reports the number dropped.
 */
#ifndef VMHI_EVENT_H
#define VMHI_EVENT_H

#include "common.h"
#include "vm.h"

VMHI_BEGIN_DECLS

/** @brief Event kinds, usable as a subscription mask.  @since 1.0 */
typedef enum vmhi_event_type {
    VMHI_EVENT_LIFECYCLE = 1u << 0,      /**< State change (state + reason). */
    VMHI_EVENT_DEVICE_ADDED = 1u << 1,   /**< A device was attached (device id). */
    VMHI_EVENT_DEVICE_REMOVED = 1u << 2, /**< A device detach completed (device id). */
    VMHI_EVENT_MEMORY = 1u << 3,         /**< Current memory changed (value in MiB). */
    VMHI_EVENT_VCPU = 1u << 4,           /**< vCPU count changed (value). */
    VMHI_EVENT_DEFINED = 1u << 5,        /**< A VM was defined or its definition updated. */
    VMHI_EVENT_UNDEFINED = 1u << 6       /**< A VM's definition was removed. */
} vmhi_event_type;

/** @brief Mask matching every event type of VMHI 1.0.  A later version
 *         adds its own VMHI_EVENT_ALL_1_x; this one never changes value. */
#define VMHI_EVENT_ALL_1_0 0x7fu

/** @brief One event, valid during the callback only (so are the strings
 *         its getters return).  Opaque. */
typedef struct vmhi_event vmhi_event;

/**
 * @brief Event callback.
 * @param conn The connection.  @param event The event (valid during the call).
 * @param userdata The pointer given to vmhi_conn_subscribe().
 * @since 1.0
 */
typedef void (*vmhi_event_cb)(vmhi_conn *conn, const vmhi_event *event, void *userdata);

/**
 * @brief Releases a subscription's userdata.
 * @param userdata The pointer given to vmhi_conn_subscribe().
 * @since 1.0
 */
typedef void (*vmhi_free_fn)(void *userdata);

/**
 * @brief Subscribes to events.
 * @param conn The connection.
 * @param mask OR of #vmhi_event_type (within #VMHI_EVENT_ALL_1_0).
 * @param uuid Only events of this VM, or NULL for all VMs.
 * @param cb The callback.  @param userdata Passed to it.
 * @param free_userdata Called once with @p userdata when the subscription
 *        ends - after vmhi_conn_unsubscribe() once no callback of it is
 *        still running, or in vmhi_conn_close() - or NULL.  Not called when
 *        this call fails.
 * @param[out] id Subscription id for vmhi_conn_unsubscribe(), or NULL.
 * @return #VMHI_OK; #VMHI_E_INVALID_ARG; #VMHI_E_UNSUPPORTED when the
 *         backend has no events.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_subscribe(vmhi_conn *conn, unsigned int mask, const char *uuid,
                                    vmhi_event_cb cb, void *userdata,
                                    vmhi_free_fn free_userdata, int *id);

/**
 * @brief Cancels a subscription.  Safe to call from inside a callback.
 * @param conn The connection.  @param id From vmhi_conn_subscribe().
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG (unknown id).
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_unsubscribe(vmhi_conn *conn, int id);

/**
 * @brief A descriptor that is readable while events wait to be dispatched.
 * @param conn The connection.  @param[out] fd The descriptor (owned by the connection).
 * @return #VMHI_OK or #VMHI_E_INVALID_ARG.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_get_event_fd(vmhi_conn *conn, int *fd);

/**
 * @brief Delivers queued events to the callbacks, in this thread.
 * @param conn The connection.
 * @param timeout_ms How long to wait for a first event: 0 = don't wait,
 *        -1 = forever.
 * @return The number of events dispatched (0 or more), or a negative error:
 *         #VMHI_E_INVALID_ARG; #VMHI_E_BUSY when the connection's event
 *         thread is running.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_dispatch_events(vmhi_conn *conn, int timeout_ms);

/**
 * @brief Starts a library thread that dispatches events as they arrive.
 *        It stops in vmhi_conn_close().
 * @param conn The connection.
 * @return #VMHI_OK (also if already running); #VMHI_E_INVALID_ARG; #VMHI_E_NOMEM.
 * @since 1.0
 */
VMHI_EXTERN int vmhi_conn_start_event_thread(vmhi_conn *conn);

/** @brief The event's kind.  @param ev The event.  @return A #vmhi_event_type.  @since 1.0 */
VMHI_EXTERN vmhi_event_type vmhi_event_get_type(const vmhi_event *ev);
/** @brief The VM's name.  @param ev The event.  @return A string owned by the event.  @since 1.0 */
VMHI_EXTERN const char *vmhi_event_get_vm_name(const vmhi_event *ev);
/** @brief The VM's UUID.  @param ev The event.  @return A string owned by the event.  @since 1.0 */
VMHI_EXTERN const char *vmhi_event_get_vm_uuid(const vmhi_event *ev);
/** @brief New state (lifecycle events).  @param ev The event.  @return A #vmhi_vm_state, 0 for other kinds.  @since 1.0 */
VMHI_EXTERN vmhi_vm_state vmhi_event_get_state(const vmhi_event *ev);
/** @brief Reason (lifecycle events).  @param ev The event.  @return A #vmhi_state_reason.  @since 1.0 */
VMHI_EXTERN vmhi_state_reason vmhi_event_get_reason(const vmhi_event *ev);
/** @brief Device id (device events).  @param ev The event.  @return A string owned by the event, or NULL.  @since 1.0 */
VMHI_EXTERN const char *vmhi_event_get_device_id(const vmhi_event *ev);
/** @brief Value: memory in MiB or vCPU count.  @param ev The event.  @return The value, 0 for other kinds.  @since 1.0 */
VMHI_EXTERN uint64_t vmhi_event_get_value(const vmhi_event *ev);
/** @brief Per-connection sequence number, starting at 1, without gaps unless events were dropped.  @param ev The event.  @return The number.  @since 1.0 */
VMHI_EXTERN uint64_t vmhi_event_get_seq(const vmhi_event *ev);
/** @brief Events dropped just before this one because the queue was full.  @param ev The event.  @return The count.  @since 1.0 */
VMHI_EXTERN uint64_t vmhi_event_get_dropped(const vmhi_event *ev);
/** @brief Name of an event type ("lifecycle", "device-added", ...).  @param type One #vmhi_event_type bit.  @return A static string or NULL.  @since 1.0 */
VMHI_EXTERN const char *vmhi_event_type_name(vmhi_event_type type);
/** @brief The event type bit named @p name.  @param name The name.  @param[out] out The bit.  @return #VMHI_OK or #VMHI_E_INVALID_ARG.  @since 1.0 */
VMHI_EXTERN int vmhi_event_type_from_name(const char *name, vmhi_event_type *out);

VMHI_END_DECLS

#endif /* VMHI_EVENT_H */
