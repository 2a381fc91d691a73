/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * HTTP(S) transport of the ESX backend: one libcurl easy handle per
 * channel, reused for every call so that the TCP and TLS connection stays
 * open.  The session cookie (vmware_soap_session) is kept in the shared
 * esx_session rather than in curl's cookie engine, so that the watcher's
 * channel and the main one use the same session and a re-login on one is
 * seen by the other.  Certificate verification is on unless the URI says
 * no_verify=1.  Nothing here ever logs a request body (Login carries the
 * password).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "esx.h"

/* Replies larger than this are refused rather than buffered. */
#define RESPONSE_MAX (512u << 20)
#define COOKIE_NAME "vmware_soap_session"

static size_t on_body(char *data, size_t size, size_t n, void *opaque)
{
    esx_transport *t = opaque;
    size_t len = size * n;
    if (t->response.len + len > RESPONSE_MAX)
        return 0;
    esx_buf_addn(&t->response, data, len);
    return t->response.oom ? 0 : len;
}

/* Remembers the session cookie from "Set-Cookie: vmware_soap_session=V; ...". */
static void take_cookie(esx_transport *t, const char *line, size_t len)
{
    static const char header[] = "set-cookie:";
    if (len < sizeof(header) - 1 || strncasecmp(line, header, sizeof(header) - 1) != 0)
        return;
    const char *p = line + sizeof(header) - 1, *end = line + len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    size_t name_len = strlen(COOKIE_NAME);
    if ((size_t)(end - p) <= name_len || strncmp(p, COOKIE_NAME, name_len) != 0 ||
        p[name_len] != '=')
        return;
    p += name_len + 1;
    const char *stop = p;
    while (stop < end && *stop != ';' && *stop != '\r' && *stop != '\n')
        stop++;
    char value[ESX_COOKIE_MAX + 1];
    size_t n = (size_t)(stop - p);
    if (n == 0 || n > ESX_COOKIE_MAX)
        return;
    memcpy(value, p, n);
    value[n] = '\0';
    pthread_mutex_lock(&t->session->lock);
    esx_copy(t->session->cookie, sizeof(t->session->cookie), value);
    pthread_mutex_unlock(&t->session->lock);
}

static size_t on_header(char *data, size_t size, size_t n, void *opaque)
{
    take_cookie(opaque, data, size * n);
    return size * n;
}

static int on_progress(void *opaque, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const esx_transport *t = opaque;
    return t->abort && atomic_load(t->abort) ? 1 : 0;
}

static int setup_tls(esx_transport *t)
{
    CURL *h = t->curl;
    const esx_options *o = t->opts;
    if (o->plain_http)
        return VMHI_OK;
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o->no_verify ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o->no_verify ? 0L : 2L);
    if (o->cafile && curl_easy_setopt(h, CURLOPT_CAINFO, o->cafile) != CURLE_OK)
        return esx_error(VMHI_E_UNSUPPORTED, "esx: this libcurl cannot use cafile=%s",
                         o->cafile);
    return VMHI_OK;
}

int esx_transport_init(esx_transport *t, const esx_options *opts, esx_session *s,
                       atomic_bool *abort)
{
    memset(t, 0, sizeof(*t));
    t->opts = opts;
    t->session = s;
    t->abort = abort;
    esx_buf_init(&t->response);
    CURL *h = curl_easy_init();
    if (!h)
        return esx_error(VMHI_E_NOMEM, "esx: cannot create a libcurl handle");
    t->curl = h;
    struct curl_slist *hdr = NULL, *next;
    const char *lines[] = { "Content-Type: text/xml; charset=utf-8",
                            "SOAPAction: \"urn:vim25/6.5\"", "Expect:" };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (!(next = curl_slist_append(hdr, lines[i]))) {
            curl_slist_free_all(hdr);
            return esx_error(VMHI_E_NOMEM, "esx: out of memory");
        }
        hdr = next;
    }
    t->headers = hdr;
    curl_easy_setopt(h, CURLOPT_URL, opts->endpoint);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "vmhi-esx/" VMHI_VERSION_STRING);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)ESX_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, opts->plain_http ? "http" : "https");
    return setup_tls(t);
}

int esx_transport_wakeable(esx_transport *t)
{
    if (!(t->multi = curl_multi_init()))
        return esx_error(VMHI_E_NOMEM, "esx: cannot create a libcurl multi handle");
    return VMHI_OK;
}

void esx_transport_wake(esx_transport *t)
{
    if (t->multi)
        curl_multi_wakeup(t->multi);
}

void esx_transport_cleanup(esx_transport *t)
{
    if (t->multi)
        curl_multi_cleanup(t->multi);
    if (t->curl)
        curl_easy_cleanup(t->curl);
    curl_slist_free_all(t->headers);
    esx_buf_free(&t->response);
    memset(t, 0, sizeof(*t));
}

static int transfer_error(esx_transport *t, CURLcode code)
{
    const char *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(code);
    const char *host = t->opts->host;
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return esx_error_native(VMHI_E_TIMEOUT, "CURLE_OPERATION_TIMEDOUT",
                                "esx: %s did not answer in time (%s)", host, detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return esx_error_native(VMHI_E_CONNECTION, "CURLE_PEER_FAILED_VERIFICATION",
                                "esx: the TLS certificate of %s is not trusted (%s); give its CA "
                                "with cafile=<PEM file> in the URI, or no_verify=1 to skip the "
                                "check (insecure)", host, detail);
    case CURLE_ABORTED_BY_CALLBACK:
        return esx_error_native(VMHI_E_CONNECTION, "CURLE_ABORTED_BY_CALLBACK",
                                "esx: the request to %s was cancelled", host);
    case CURLE_WRITE_ERROR:
        return esx_error_native(VMHI_E_NOMEM, "CURLE_WRITE_ERROR",
                                "esx: the reply from %s could not be stored (out of memory or "
                                "larger than %u MiB)", host, RESPONSE_MAX >> 20);
    default:
        return esx_error_native(VMHI_E_CONNECTION, curl_easy_strerror(code),
                                "esx: cannot reach %s: %s", host, detail);
    }
}

static bool aborted(const esx_transport *t)
{
    return t->abort && atomic_load(t->abort);
}

/* curl_easy_perform() that esx_transport_wake() interrupts at once (a
 * long poll would otherwise hold up the connection's close). */
static CURLcode perform_wakeable(esx_transport *t)
{
    CURLM *m = t->multi;
    CURLcode result = CURLE_ABORTED_BY_CALLBACK;
    int running = 1;
    if (curl_multi_add_handle(m, t->curl) != CURLM_OK)
        return CURLE_OUT_OF_MEMORY;
    while (!aborted(t)) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (!running) {
            int left;
            for (CURLMsg *msg; (msg = curl_multi_info_read(m, &left));)
                if (msg->msg == CURLMSG_DONE)
                    result = msg->data.result;
            break;
        }
        if (curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
            break;
    }
    curl_multi_remove_handle(m, t->curl);
    return result;
}

int esx_transport_post(esx_transport *t, const char *body, size_t len, unsigned int timeout_ms)
{
    CURL *h = t->curl;
    char cookie[sizeof(COOKIE_NAME) + ESX_COOKIE_MAX + 2];
    pthread_mutex_lock(&t->session->lock);
    if (t->session->cookie[0])
        snprintf(cookie, sizeof(cookie), "%s=%s", COOKIE_NAME, t->session->cookie);
    else
        cookie[0] = '\0';
    pthread_mutex_unlock(&t->session->lock);
    curl_easy_setopt(h, CURLOPT_COOKIE, cookie[0] ? cookie : NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    esx_buf_reset(&t->response);
    t->errbuf[0] = '\0';
    t->status = 0;
    CURLcode code = t->multi ? perform_wakeable(t) : curl_easy_perform(h);
    if (code != CURLE_OK)
        return transfer_error(t, code);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t->status);
    if (t->response.oom)
        return esx_error(VMHI_E_NOMEM, "esx: out of memory reading a reply");
    return VMHI_OK;
}
