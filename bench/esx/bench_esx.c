/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmhi-bench-esx: how close VMHI's ESX backend comes to the cheapest way
 * of asking a vSphere server about every VM.
 *
 *   floor       one RetrievePropertiesEx (name, power state, vCPUs,
 *               memory of every VM) over a reused HTTPS connection, parsed
 *               with libxml2: what any client must at least spend
 *   list+info   vmhi_conn_list_vms() and vmhi_vm_get_info() for each VM
 *   info loop   vmhi_vm_get_info() for each VM with the cache off
 *               (cache_ms=0): one round trip per VM
 *   stop+start  vmhi_vm_poweroff() then vmhi_vm_start() of one VM
 *
 * Medians of --rounds runs; ratios against the floor.
 *   vmhi-bench-esx --port P [--user U --password W] [--rounds N]
 */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmhi/vmhi.h>

#define MAX_ROUNDS 64

static const char *user = "vmhi", *password = "vmhi-pass";
static int port;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------ the floor */

struct sink {
    char *data;
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *opaque)
{
    struct sink *s = opaque;
    char *grown = realloc(s->data, s->len + size * n + 1);
    if (!grown)
        return 0;
    memcpy(grown + s->len, p, size * n);
    s->data = grown;
    s->len += size * n;
    s->data[s->len] = '\0';
    return size * n;
}

static const char envelope_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope "
    "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:vim25=\"urn:vim25\">"
    "<soapenv:Body>";

static const char list_body[] =
    "<RetrievePropertiesEx xmlns=\"urn:vim25\"><_this type=\"PropertyCollector\">"
    "ha-property-collector</_this><specSet><propSet><type>VirtualMachine</type>"
    "<pathSet>name</pathSet><pathSet>runtime.powerState</pathSet>"
    "<pathSet>config.hardware.numCPU</pathSet><pathSet>config.hardware.memoryMB</pathSet>"
    "</propSet><objectSet><obj type=\"Folder\">ha-folder-root</obj><skip>true</skip>"
    "<selectSet xsi:type=\"vim25:TraversalSpec\"><name>f</name><type>Folder</type>"
    "<path>childEntity</path><skip>false</skip><selectSet><name>f</name></selectSet>"
    "<selectSet><name>d</name></selectSet></selectSet>"
    "<selectSet xsi:type=\"vim25:TraversalSpec\"><name>d</name><type>Datacenter</type>"
    "<path>vmFolder</path><skip>false</skip><selectSet><name>f</name></selectSet>"
    "</selectSet></objectSet></specSet><options/></RetrievePropertiesEx>";

static int post(CURL *h, const char *inner, struct sink *out)
{
    char *body = malloc(strlen(envelope_head) + strlen(inner) + 64);
    if (!body)
        return -1;
    sprintf(body, "%s%s</soapenv:Body></soapenv:Envelope>", envelope_head, inner);
    out->len = 0;
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    CURLcode rc = curl_easy_perform(h);
    free(body);
    return rc == CURLE_OK ? 0 : -1;
}

static CURL *floor_login(struct curl_slist **hdr, struct sink *sink)
{
    char url[128], login[512];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/sdk", port);
    CURL *h = curl_easy_init();
    *hdr = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
    *hdr = curl_slist_append(*hdr, "SOAPAction: \"urn:vim25/6.5\"");
    *hdr = curl_slist_append(*hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdr);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    snprintf(login, sizeof(login),
             "<Login xmlns=\"urn:vim25\"><_this type=\"SessionManager\">ha-sessionmgr</_this>"
             "<userName>%s</userName><password>%s</password></Login>", user, password);
    if (post(h, login, sink) != 0 || !strstr(sink->data ? sink->data : "", "LoginResponse")) {
        fprintf(stderr, "floor: login failed\n");
        exit(1);
    }
    return h;
}

/* One RetrievePropertiesEx of every VM, parsed; returns the VM count. */
static int floor_once(CURL *h, struct sink *sink)
{
    if (post(h, list_body, sink) != 0)
        return -1;
    xmlDoc *doc = xmlReadMemory(sink->data, (int)sink->len, "r.xml", NULL, XML_PARSE_NONET);
    int n = 0;
    for (const char *p = sink->data; (p = strstr(p, "<objects>")); p++)
        n++;
    xmlFreeDoc(doc);
    return doc ? n : -1;
}

/* ----------------------------------------------------------------- VMHI */

static int answer(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                  size_t buflen, void *userdata)
{
    snprintf(buf, buflen, "%s", type == VMHI_CRED_USERNAME ? user : password);
    return 0;
}

static vmhi_conn *open_conn(const char *extra)
{
    char uri[256];
    snprintf(uri, sizeof(uri), "esx://127.0.0.1:%d/?no_verify=1%s", port, extra);
    vmhi_conn_options o = VMHI_CONN_OPTIONS_INIT;
    o.auth_cb = answer;
    vmhi_conn *conn = NULL;
    if (vmhi_conn_open(&conn, uri, &o) != VMHI_OK) {
        fprintf(stderr, "cannot open %s: %s\n", uri, vmhi_error_last_message());
        exit(1);
    }
    return conn;
}

static size_t list_full_info(vmhi_conn *conn)
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    if (vmhi_conn_list_vms(conn, 0, &vms, &n) != VMHI_OK) {
        fprintf(stderr, "list: %s\n", vmhi_error_last_message());
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_get_info(vms[i], &info) != VMHI_OK) {
            fprintf(stderr, "info: %s\n", vmhi_error_last_message());
            exit(1);
        }
    }
    vmhi_vm_list_free(vms, n);
    return n;
}

static void info_loop(vmhi_conn *conn, vmhi_vm **vms, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_get_info(vms[i], &info) != VMHI_OK) {
            fprintf(stderr, "info: %s\n", vmhi_error_last_message());
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    int rounds = 9;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--user") == 0) user = argv[i + 1];
        else if (strcmp(argv[i], "--password") == 0) password = argv[i + 1];
        else if (strcmp(argv[i], "--rounds") == 0) rounds = atoi(argv[i + 1]);
    }
    if (!port || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: vmhi-bench-esx --port P [--user U --password W] [--rounds 1-%d]\n",
                MAX_ROUNDS);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    double t_floor[MAX_ROUNDS], t_list[MAX_ROUNDS], t_loop[MAX_ROUNDS], t_cycle[MAX_ROUNDS];

    struct curl_slist *hdr = NULL;
    struct sink sink = { 0 };
    CURL *h = floor_login(&hdr, &sink);
    int nvms = floor_once(h, &sink); /* warm-up */
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        floor_once(h, &sink);
        t_floor[r] = now_ms() - t0;
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    free(sink.data);

    vmhi_conn *conn = open_conn("");
    size_t listed = list_full_info(conn); /* warm-up */
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        list_full_info(conn);
        t_list[r] = now_ms() - t0;
    }

    vmhi_conn *uncached = open_conn("&cache_ms=0");
    vmhi_vm **vms = NULL;
    size_t n = 0;
    vmhi_conn_list_vms(uncached, 0, &vms, &n);
    int loop_rounds = rounds > 3 ? 3 : rounds;
    for (int r = 0; r < loop_rounds; r++) {
        double t0 = now_ms();
        info_loop(uncached, vms, n);
        t_loop[r] = now_ms() - t0;
    }
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        if (vmhi_vm_poweroff(vms[0], 0) != VMHI_OK || vmhi_vm_start(vms[0], 0) != VMHI_OK) {
            fprintf(stderr, "stop/start: %s\n", vmhi_error_last_message());
            return 1;
        }
        t_cycle[r] = now_ms() - t0;
    }
    vmhi_vm_list_free(vms, n);
    vmhi_conn_close(uncached);
    vmhi_conn_close(conn);

    double floor = median(t_floor, rounds), list = median(t_list, rounds);
    double loop = median(t_loop, loop_rounds), cycle = median(t_cycle, rounds);
    printf("VMs: %d (VMHI listed %zu); medians of %d rounds\n", nvms, listed, rounds);
    printf("  %-44s %9.2f ms   1.00x\n", "floor: one RetrievePropertiesEx, parsed", floor);
    printf("  %-44s %9.2f ms  %5.2fx\n", "VMHI list + get_info for every VM", list,
           list / floor);
    printf("  %-44s %9.2f ms  %5.2fx\n", "VMHI get_info loop, cache off (1 RTT/VM)", loop,
           loop / floor);
    printf("  %-44s %9.2f ms\n", "VMHI poweroff + start of one VM", cycle);
    return 0;
}
