/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The vSphere session: service content, Login with the application's
 * credentials, calls that log in again when the server forgot the session
 * (NotAuthenticated: expired, or the server restarted), Logout, and
 * following tasks to completion.
 *
 * Credentials come from the application's callback each time a login is
 * needed and are wiped from memory right after; they never reach a log
 * line or an error message.
 */
#include <stdio.h>
#include <string.h>

#include "esx.h"

#define USER_MAX 256
#define PASSWORD_MAX 512

static unsigned int call_timeout(const esx_conn *c)
{
    unsigned int app = esx_core->timeout_ms(c->conn);
    return app ? app : c->opts.timeout_ms;
}

int esx_call_on(esx_conn *c, esx_transport *t, const char *method, const esx_buf *body,
                esx_reply *out, char *fault_name)
{
    if (body->oom)
        return esx_error(VMHI_E_NOMEM, "esx: out of memory building %s", method);
    uint64_t t0 = esx_now_ns();
    int rc = esx_transport_post(t, body->data, body->len, call_timeout(c));
    if (rc == VMHI_OK)
        rc = esx_codec_parse(method, t->response.data, t->response.len, t->status, out,
                             fault_name);
    if (t == &c->main)
        esx_log(c, VMHI_LOG_DEBUG, "%s: %s in %.1f ms (%zu bytes sent, %zu received)", method,
                rc == VMHI_OK ? "ok" : vmhi_strerror(rc), (double)(esx_now_ns() - t0) / 1e6,
                body->len, t->response.len);
    return rc;
}

static void wipe(char *s, size_t n)
{
    volatile char *p = s;
    while (n--)
        *p++ = 0;
}

static int ask_credentials(esx_conn *c, char *user, char *password)
{
    char prompt[300];
    if (c->user) {
        esx_copy(user, USER_MAX, c->user);
    } else {
        snprintf(prompt, sizeof(prompt), "User name for %s", c->opts.host);
        if (esx_core->get_credential(c->conn, VMHI_CRED_USERNAME, prompt, user, USER_MAX) < 0)
            return VMHI_E_AUTH;
    }
    snprintf(prompt, sizeof(prompt), "Password for %s@%s", user, c->opts.host);
    if (esx_core->get_credential(c->conn, VMHI_CRED_PASSWORD, prompt, password,
                                 PASSWORD_MAX) < 0)
        return VMHI_E_AUTH;
    if (!user[0])
        return esx_error(VMHI_E_AUTH, "esx: no user name for %s; put it in the URI "
                         "(esx://user@host/) or answer the credential callback", c->opts.host);
    return VMHI_OK;
}

static int login(esx_conn *c)
{
    char user[USER_MAX] = "", password[PASSWORD_MAX] = "";
    int rc = ask_credentials(c, user, password);
    if (rc < 0) {
        wipe(password, sizeof(password));
        return rc;
    }
    pthread_mutex_lock(&c->session.lock);
    c->session.cookie[0] = '\0'; /* a stale cookie makes Login fail */
    pthread_mutex_unlock(&c->session.lock);
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "Login", "SessionManager", c->refs.session_manager);
    esx_buf_elem(&b, "userName", user);
    esx_buf_elem(&b, "password", password);
    esx_soap_end(&b, "Login");
    wipe(password, sizeof(password));
    esx_reply r;
    rc = esx_call_on(c, &c->main, "Login", &b, &r, NULL);
    if (b.data)
        wipe(b.data, b.cap);
    esx_buf_free(&b);
    if (rc == VMHI_E_AUTH)
        return esx_error_native(VMHI_E_AUTH, "InvalidLogin", "esx: %s refused the login of "
                                "user '%s' (wrong user name or password)", c->opts.host, user);
    if (rc < 0)
        return rc;
    esx_reply_free(&r);
    pthread_mutex_lock(&c->session.lock);
    bool have_cookie = c->session.cookie[0] != '\0';
    c->session.generation++;
    c->session.stale = false;
    pthread_mutex_unlock(&c->session.lock);
    if (!have_cookie)
        return esx_error(VMHI_E_BACKEND, "esx: %s accepted the login but set no "
                         "vmware_soap_session cookie", c->opts.host);
    esx_log(c, VMHI_LOG_INFO, "logged in to %s as '%s'", c->opts.host, user);
    return VMHI_OK;
}

static int login_again(esx_conn *c)
{
    esx_log(c, VMHI_LOG_WARN, "the session on %s is gone (expired or the server restarted); "
            "logging in again", c->opts.host);
    esx_lock(c);
    esx_cache_invalidate(&c->cache); /* managed objects may differ after a restart */
    esx_unlock(c);
    return login(c);
}

int esx_call(esx_conn *c, const char *method, const esx_buf *body, esx_reply *out)
{
    char fault[64];
    /* The watcher cannot log in (credentials are asked for in the thread
     * of a call): it leaves that to the next call. */
    pthread_mutex_lock(&c->session.lock);
    bool stale = c->session.stale;
    pthread_mutex_unlock(&c->session.lock);
    if (stale) {
        int rc = login_again(c);
        if (rc < 0)
            return rc;
    }
    int rc = esx_call_on(c, &c->main, method, body, out, fault);
    if (rc != VMHI_E_AUTH || strcmp(fault, "NotAuthenticated") != 0)
        return rc;
    rc = login_again(c);
    return rc < 0 ? rc : esx_call_on(c, &c->main, method, body, out, NULL);
}

static void copy_ref(const xmlNode *content, const char *name, char *dst, size_t size)
{
    char text[ESX_MOREF_MAX + 1];
    const char *v = esx_xml_child_text(content, name, text, sizeof(text));
    esx_copy(dst, size, v ? v : "");
}

static int read_service_content(esx_conn *c)
{
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "RetrieveServiceContent", "ServiceInstance", "ServiceInstance");
    esx_soap_end(&b, "RetrieveServiceContent");
    esx_reply r;
    int rc = esx_call_on(c, &c->main, "RetrieveServiceContent", &b, &r, NULL);
    esx_buf_free(&b);
    if (rc < 0)
        return rc;
    const xmlNode *sc = esx_xml_child(r.result, "returnval");
    const xmlNode *about = esx_xml_child(sc, "about");
    esx_refs *refs = &c->refs;
    copy_ref(sc, "rootFolder", refs->root_folder, sizeof(refs->root_folder));
    copy_ref(sc, "propertyCollector", refs->property_collector,
             sizeof(refs->property_collector));
    copy_ref(sc, "sessionManager", refs->session_manager, sizeof(refs->session_manager));
    copy_ref(sc, "searchIndex", refs->search_index, sizeof(refs->search_index));
    copy_ref(about, "name", refs->about_name, sizeof(refs->about_name));
    copy_ref(about, "version", refs->about_version, sizeof(refs->about_version));
    copy_ref(about, "apiType", refs->api_type, sizeof(refs->api_type));
    copy_ref(about, "apiVersion", refs->api_version, sizeof(refs->api_version));
    esx_reply_free(&r);
    if (!refs->root_folder[0] || !refs->property_collector[0] || !refs->session_manager[0])
        return esx_error(VMHI_E_BACKEND, "esx: %s sent an incomplete service content "
                         "(no root folder, property collector or session manager)",
                         c->opts.host);
    return VMHI_OK;
}

static int check_api_type(const esx_conn *c)
{
    bool is_vc = strcmp(c->refs.api_type, "VirtualCenter") == 0;
    if (c->vpx && !is_vc)
        return esx_error(VMHI_E_INVALID_ARG, "esx: %s is a standalone host (%s), not a "
                         "vCenter; connect with esx://%s/", c->opts.host, c->refs.api_type,
                         c->opts.host);
    if (!c->vpx && is_vc)
        return esx_error(VMHI_E_INVALID_ARG, "esx: %s is a vCenter; connect with "
                         "vpx://%s/<datacenter>/<cluster-or-host> (or vpx://%s/ for all of it)",
                         c->opts.host, c->opts.host, c->opts.host);
    return VMHI_OK;
}

int esx_session_open(esx_conn *c)
{
    int rc = read_service_content(c);
    if (rc == VMHI_OK)
        rc = check_api_type(c);
    if (rc == VMHI_OK)
        rc = login(c);
    return rc;
}

void esx_session_close(esx_conn *c)
{
    pthread_mutex_lock(&c->session.lock);
    bool logged_in = c->session.cookie[0] != '\0';
    pthread_mutex_unlock(&c->session.lock);
    if (!logged_in || !c->refs.session_manager[0])
        return;
    esx_buf b;
    esx_buf_init(&b);
    esx_soap_begin(&b, "Logout", "SessionManager", c->refs.session_manager);
    esx_soap_end(&b, "Logout");
    esx_reply r;
    /* Best effort: a failed logout only leaves a session to expire. */
    if (esx_call_on(c, &c->main, "Logout", &b, &r, NULL) == VMHI_OK)
        esx_reply_free(&r);
    esx_buf_free(&b);
}

/* --------------------------------------------------------------- tasks */

static int task_poll(esx_conn *c, const char *task, esx_reply *r)
{
    static const char *const paths[] = { "info.state", "info.progress", "info.error",
                                         "info.result", NULL };
    return esx_read_props(c, "Task", task, paths, r);
}

static unsigned int task_timeout_ms(const esx_conn *c)
{
    unsigned int t = call_timeout(c);
    return t > 60000u ? t : 600000u;
}

int esx_task_wait(esx_conn *c, const char *task, const char *operation, esx_reply *result)
{
    uint64_t deadline = esx_now_ns() + (uint64_t)task_timeout_ms(c) * 1000000u;
    unsigned int delay_ms = 0;
    int last_progress = -2;
    for (;;) {
        esx_reply r;
        int rc = task_poll(c, task, &r);
        if (rc < 0)
            return rc;
        char state[32], text[16];
        const xmlNode *sv = esx_reply_prop(&r, "info.state");
        esx_xml_text(sv, state, sizeof(state));
        const char *pv = esx_xml_text(esx_reply_prop(&r, "info.progress"), text, sizeof(text));
        int64_t progress = -1;
        if (strcmp(state, "success") == 0)
            progress = 100;
        else if (!esx_parse_i64(pv, &progress))
            progress = -1;
        if (progress != last_progress) {
            esx_core->progress(c->conn, operation, (int)progress);
            last_progress = (int)progress;
        }
        if (strcmp(state, "success") == 0) {
            if (result)
                *result = r;
            else
                esx_reply_free(&r);
            return VMHI_OK;
        }
        if (strcmp(state, "error") == 0) {
            rc = esx_fault_from_node(esx_reply_prop(&r, "info.error"), operation);
            esx_reply_free(&r);
            return rc;
        }
        esx_reply_free(&r);
        if (!sv)
            return esx_error(VMHI_E_BACKEND, "esx: task %s of %s has no state", task, operation);
        if (esx_now_ns() > deadline)
            return esx_error(VMHI_E_TIMEOUT, "esx: %s (task %s) is still %s after %u s; it may "
                             "still complete", operation, task, state,
                             task_timeout_ms(c) / 1000u);
        delay_ms = delay_ms ? (delay_ms * 2 > 500u ? 500u : delay_ms * 2) : 10u;
        esx_sleep_ms(delay_ms);
    }
}

int esx_call_task(esx_conn *c, const char *method, const esx_buf *body, const char *operation,
                  esx_reply *result)
{
    esx_reply r;
    int rc = esx_call(c, method, body, &r);
    if (rc < 0)
        return rc;
    char task[ESX_MOREF_MAX + 1];
    esx_xml_child_text(r.result, "returnval", task, sizeof(task));
    esx_reply_free(&r);
    if (!task[0])
        return esx_error(VMHI_E_BACKEND, "esx: %s returned no task", method);
    return esx_task_wait(c, task, operation, result);
}
