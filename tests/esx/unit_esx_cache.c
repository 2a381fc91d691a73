/*
 * Unit tests of the ESX backend's cache as the watcher feeds it: what an
 * UpdateSet teaches about a VM is found by every key, whether the update
 * applies or came before the entry's last read.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "esx.h"
#include "esx_fake_core.h"
#include "testutil.h"

#define UUID "50ee41db-9de7-51cb-896c-c26bea7bd6ff"

static esx_conn conn;

static void setup(void)
{
    esx_fake_core_setup();
    memset(&conn, 0, sizeof(conn));
    pthread_mutex_init(&conn.lock, NULL);
}

static void teardown(void)
{
    esx_cache_free(&conn.cache);
    pthread_mutex_destroy(&conn.lock);
}

/* What a listing read at @read_ns leaves: name and power, no UUID. */
static esx_vm *listed(const char *moref, const char *name, uint64_t read_ns)
{
    esx_vm *vm = NULL;
    ck_assert_int_eq(esx_cache_upsert(&conn.cache, moref, &vm), VMHI_OK);
    snprintf(vm->name, sizeof(vm->name), "%s", name);
    vm->power = ESX_POWER_ON;
    vm->known = true;
    vm->w_seen = true;
    vm->w_state = esx_vm_state(vm);
    vm->w_reason = esx_vm_reason(vm);
    vm->refreshed_ns = read_ns;
    ck_assert_int_eq(esx_cache_reindex(&conn.cache), VMHI_OK);
    conn.cache.complete = true;
    return vm;
}

/* Applies an UpdateSet with one ObjectUpdate of @kind for @moref. */
static void update(const char *kind, const char *moref, const char *changes, uint64_t sent_ns,
                   esx_reread *rr)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<returnval><version>1</version><filterSet><filter>session[1]</filter>"
             "<objectSet><kind>%s</kind><obj type=\"VirtualMachine\">%s</obj>%s"
             "</objectSet></filterSet></returnval>",
             kind, moref, changes);
    xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "update.xml", NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    memset(rr, 0, sizeof(*rr));
    esx_watch_apply_updates(&conn, xmlDocGetRootElement(doc), sent_ns, rr);
    xmlFreeDoc(doc);
}

static const char first_report[] =
    "<changeSet><name>config.uuid</name><op>assign</op><val>" UUID "</val></changeSet>"
    "<changeSet><name>name</name><op>assign</op><val>ha-host_VM1</val></changeSet>"
    "<changeSet><name>runtime.powerState</name><op>assign</op><val>poweredOn</val>"
    "</changeSet><changeSet><name>config.template</name><op>assign</op><val>false</val>"
    "</changeSet>";

/* The watcher's first report was asked for before the listing read the VM
 * and arrives after it: the UUID it brings is the only one the connection
 * gets (the listing's extras read then finds nothing unknown), so a lookup
 * by UUID must find it. */
START_TEST(a_uuid_from_a_report_older_than_the_listing_is_indexed)
{
    esx_reread rr;
    esx_vm *vm = listed("vm-2", "ha-host_VM1", 200);
    ck_assert_ptr_null(esx_cache_find_uuid(&conn.cache, UUID));
    update("enter", "vm-2", first_report, 100, &rr);
    ck_assert_str_eq(vm->uuid, UUID);
    ck_assert(vm->template_known && vm->extras_known);
    ck_assert_ptr_eq(esx_cache_find_uuid(&conn.cache, UUID), vm);
    ck_assert_ptr_eq(esx_cache_find_name(&conn.cache, "ha-host_VM1"), vm);
    ck_assert_uint_eq(rr.count, 0);
}
END_TEST

START_TEST(a_uuid_from_a_report_newer_than_the_listing_is_indexed)
{
    esx_reread rr;
    esx_vm *vm = listed("vm-2", "ha-host_VM1", 100);
    update("enter", "vm-2", first_report, 200, &rr);
    ck_assert_ptr_eq(esx_cache_find_uuid(&conn.cache, UUID), vm);
    ck_assert_uint_eq(rr.count, 0);
    ck_assert_uint_eq(esx_fake_events, 0); /* still running: no news */
}
END_TEST

START_TEST(a_vm_first_seen_by_the_watcher_is_indexed)
{
    esx_reread rr;
    update("enter", "vm-2", first_report, 100, &rr);
    esx_vm *vm = esx_cache_find_moref(&conn.cache, "vm-2");
    ck_assert_ptr_nonnull(vm);
    ck_assert_ptr_eq(esx_cache_find_uuid(&conn.cache, UUID), vm);
    ck_assert_ptr_eq(esx_cache_find_name(&conn.cache, "ha-host_VM1"), vm);
}
END_TEST

/* A change asked for before the last read may be older: read it again,
 * and keep the entry and its keys as they are. */
START_TEST(a_change_older_than_the_last_read_is_read_again)
{
    esx_reread rr;
    esx_vm *vm = listed("vm-2", "ha-host_VM1", 100);
    update("enter", "vm-2", first_report, 150, &rr);
    update("modify", "vm-2",
           "<changeSet><name>runtime.powerState</name><op>assign</op><val>poweredOff</val>"
           "</changeSet>",
           50, &rr);
    ck_assert_uint_eq(rr.count, 1);
    ck_assert_str_eq(rr.morefs[0], "vm-2");
    ck_assert_int_eq(vm->power, ESX_POWER_ON);
    ck_assert_ptr_eq(esx_cache_find_uuid(&conn.cache, UUID), vm);
}
END_TEST

static const char power_on[] = "<changeSet><name>runtime.powerState</name><op>assign</op>"
                               "<val>poweredOn</val></changeSet>";
static const char power_off[] = "<changeSet><name>runtime.powerState</name><op>assign</op>"
                                "<val>poweredOff</val></changeSet>";

/* The server queued a start's "poweredOn" while the watcher was busy; the
 * following poweroff then ran and reported the VM off (read at 300).  The
 * next wait, asked at 400, brings the queued change: it is no proof of
 * anything after the previous wait (asked at 100), so it is read again
 * rather than reported as the VM running again (the two extra events of
 * conformance many_threads_one_connection, issue #11). */
START_TEST(a_queued_change_older_than_the_last_read_is_not_reported)
{
    esx_reread rr;
    esx_vm *vm = listed("vm-2", "ha-host_VM1", 50);
    update("enter", "vm-2", first_report, 60, &rr);
    vm->power = ESX_POWER_OFF;          /* what the poweroff reported */
    vm->w_state = esx_vm_state(vm);
    vm->w_reason = esx_vm_reason(vm);
    vm->refreshed_ns = 300;
    esx_watch w;
    memset(&w, 0, sizeof(w));
    strcpy(w.version, "7");
    w.last_sent_ns = 100;
    ck_assert_uint_eq(esx_watch_changes_since(&w, 400), 100);
    update("modify", "vm-2", power_on, esx_watch_changes_since(&w, 400), &rr);
    ck_assert_int_eq(vm->power, ESX_POWER_OFF);
    ck_assert_uint_eq(rr.count, 1);
    ck_assert_uint_eq(esx_fake_events, 0);
    /* A change queued after the read is newer than it and reported once. */
    w.last_sent_ns = 400;
    update("modify", "vm-2", power_on, esx_watch_changes_since(&w, 500), &rr);
    ck_assert_int_eq(vm->power, ESX_POWER_ON);
    ck_assert_uint_eq(rr.count, 0);
    ck_assert_uint_eq(esx_fake_events, 1);
    update("modify", "vm-2", power_off, esx_watch_changes_since(&w, 500), &rr);
    ck_assert_uint_eq(esx_fake_events, 2);
}
END_TEST

/* The first answer after a new filter (no version yet) is the state when
 * it was asked for, not a queue. */
START_TEST(the_first_answer_is_as_new_as_its_request)
{
    esx_watch w;
    memset(&w, 0, sizeof(w));
    w.last_sent_ns = 100;
    ck_assert_uint_eq(esx_watch_changes_since(&w, 400), 400);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("esx-cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_uuid_from_a_report_older_than_the_listing_is_indexed);
    tcase_add_test(tc, a_uuid_from_a_report_newer_than_the_listing_is_indexed);
    tcase_add_test(tc, a_vm_first_seen_by_the_watcher_is_indexed);
    tcase_add_test(tc, a_change_older_than_the_last_read_is_read_again);
    tcase_add_test(tc, a_queued_change_older_than_the_last_read_is_not_reported);
    tcase_add_test(tc, the_first_answer_is_as_new_as_its_request);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
