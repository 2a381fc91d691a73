/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reading an OVF envelope: a libxml2 parse with no network and no DTD (a
 * DOCTYPE stops the parser, so no entity is ever declared or expanded and
 * no external subset is fetched), then a walk over References,
 * DiskSection, NetworkSection, DeploymentOptionSection and the
 * VirtualSystems, collections flattened.  What the walk cannot honour is
 * a report line; what VMHI has no field for is kept in the metadata
 * namespace org.vmhi.ovf so that an export writes it back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "ovf_internal.h"

/* ---- XML helpers ---------------------------------------------------------- */

bool vmhi__ovf_is_ovf_ns(const xmlNode *node)
{
    return node && node->ns && node->ns->href &&
           (xmlStrEqual(node->ns->href, BAD_CAST VMHI__OVF_NS1) ||
            xmlStrEqual(node->ns->href, BAD_CAST VMHI__OVF_NS2));
}

bool vmhi__ovf_is(const xmlNode *node, const char *local)
{
    return node && node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, BAD_CAST local);
}

const xmlNode *vmhi__ovf_child(const xmlNode *node, const char *local)
{
    for (const xmlNode *c = node ? node->children : NULL; c; c = c->next)
        if (vmhi__ovf_is(c, local))
            return c;
    return NULL;
}

static char *trimmed(xmlChar *text)
{
    if (!text)
        return NULL;
    char *s = (char *)text;
    size_t start = strspn(s, " \t\r\n");
    size_t len = strlen(s + start);
    while (len > 0 && strchr(" \t\r\n", s[start + len - 1]))
        len--;
    memmove(s, s + start, len);
    s[len] = '\0';
    return s;
}

char *vmhi__ovf_child_text(const xmlNode *node, const char *local)
{
    const xmlNode *c = vmhi__ovf_child(node, local);
    return c ? trimmed(xmlNodeGetContent(c)) : NULL;
}

char *vmhi__ovf_ns_attr(const xmlNode *node, const char *ns, const char *name)
{
    return (char *)xmlGetNsProp(node, BAD_CAST name, BAD_CAST ns);
}

char *vmhi__ovf_attr(const xmlNode *node, const char *name)
{
    char *v = vmhi__ovf_ns_attr(node, VMHI__OVF_NS1, name);
    if (!v)
        v = vmhi__ovf_ns_attr(node, VMHI__OVF_NS2, name);
    if (!v)
        v = (char *)xmlGetNoNsProp(node, BAD_CAST name);
    return v;
}

static bool attr_is_true(const xmlNode *node, const char *name)
{
    char *v = vmhi__ovf_attr(node, name);
    bool yes = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    xmlFree(v);
    return yes;
}

bool vmhi__ovf_in_option(const vmhi__ovf_ctx *ctx, const xmlNode *node)
{
    char *list = vmhi__ovf_attr(node, "configuration");
    if (!list)
        return true;
    bool in = ctx->option == NULL;
    for (char *save = NULL, *tok = strtok_r(list, " \t\r\n", &save); tok && !in;
         tok = strtok_r(NULL, " \t\r\n", &save))
        in = strcmp(tok, ctx->option) == 0;
    xmlFree(list);
    return in;
}

int vmhi__ovf_keep(vmhi__ovf_ctx *ctx, vmhi_vm_config *cfg, const xmlNode *node,
                   const char *name, const char *value)
{
    char key[VMHI_METADATA_KEY_MAX + 1];
    int n = snprintf(key, sizeof(key), "%s%s", VMHI__OVF_META, name);
    if (n < 0 || (size_t)n >= sizeof(key) || vmhi__check_metadata_key(key) < 0 ||
        vmhi__check_metadata_value(value) < 0)
        return vmhi__ovf_note(ctx, VMHI_OVF_REPORT_UNHONOURED, node,
                              "\"%.64s\" cannot be kept as VMHI metadata (key or value too long "
                              "or not allowed)", name);
    int rc = vmhi_vm_config_set_metadata(cfg, key, value);
    if (rc == VMHI_E_LIMIT)
        return vmhi__ovf_note(ctx, VMHI_OVF_REPORT_UNHONOURED, node,
                              "\"%.64s\" not kept: a VM holds at most %d metadata entries", name,
                              VMHI_METADATA_MAX);
    return rc;
}

/* ---- the parse ------------------------------------------------------------- */

typedef struct xml_state {
    bool failed;
    bool doctype;
    bool oom;
    unsigned line;
    char message[300];
} xml_state;

static void ignore_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void ignore_structured(void *ctx, xmlErrorPtr err)
{
    (void)ctx;
    (void)err;
}

static void on_error(void *user, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = user;
    xml_state *st = ctxt->_private;
    if (err->code == XML_ERR_NO_MEMORY)
        st->oom = true;
    if (err->level < XML_ERR_ERROR || st->failed)
        return;
    st->failed = true;
    st->line = err->line > 0 ? (unsigned)err->line : 0;
    vmhi__strlcpy(st->message, err->message ? err->message : "syntax error",
                  sizeof(st->message));
    size_t len = strlen(st->message);
    while (len > 0 && (st->message[len - 1] == '\n' || st->message[len - 1] == ' '))
        st->message[--len] = '\0';
}

/* A DOCTYPE is where entities and external references come from; OVF
 * needs neither, so the parse stops right there. */
static void on_doctype(void *user, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    (void)name;
    (void)ext;
    (void)sys;
    xmlParserCtxtPtr ctxt = user;
    xml_state *st = ctxt->_private;
    st->doctype = true;
    st->failed = true;
    st->line = (unsigned)xmlSAX2GetLineNumber(ctxt);
    vmhi__strlcpy(st->message, "DOCTYPE declarations are not allowed (no DTD, no entities)",
                  sizeof(st->message));
    xmlStopParser(ctxt);
}

static int parse_xml(const char *xml, size_t len, xmlDoc **out)
{
    *out = NULL;
    xml_state st = { 0 };
    xmlGenericErrorFunc generic = xmlGenericError;
    void *generic_ctx = xmlGenericErrorContext;
    xmlStructuredErrorFunc structured = xmlStructuredError;
    void *structured_ctx = xmlStructuredErrorContext;
    xmlSetGenericErrorFunc(NULL, ignore_generic);
    xmlSetStructuredErrorFunc(NULL, ignore_structured);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDoc *doc = NULL;
    if (ctxt) {
        ctxt->_private = &st;
        ctxt->sax->internalSubset = on_doctype;
        ctxt->sax->serror = on_error;
        ctxt->sax->warning = ignore_generic;
        ctxt->sax->error = ignore_generic;
        ctxt->sax->fatalError = ignore_generic;
        /* Never XML_PARSE_NOENT or XML_PARSE_DTDLOAD. */
        doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlFreeParserCtxt(ctxt);
    } else {
        st.oom = true;
    }
    xmlSetGenericErrorFunc(generic_ctx, generic);
    xmlSetStructuredErrorFunc(structured_ctx, structured);
    if (doc && !st.failed && !st.oom) {
        *out = doc;
        return VMHI_OK;
    }
    xmlFreeDoc(doc);
    if (st.oom || !st.failed)
        return vmhi__error_oom();
    if (st.line)
        return vmhi__error_parse(st.line, 0, "OVF line %u: %s%s", st.line,
                                 st.doctype ? "" : "XML syntax error: ", st.message);
    return vmhi__error_parse(0, 0, "OVF: %s%s", st.doctype ? "" : "XML syntax error: ",
                             st.message);
}

/* ---- envelope sections -------------------------------------------------------- */

static bool is_section(const xmlNode *n)
{
    size_t len = xmlStrlen(n->name);
    return len > 7 && strcmp((const char *)n->name + len - 7, "Section") == 0;
}

/* An element the import does not know: an error when marked required,
 * else a report line. */
static int unknown_element(vmhi__ovf_ctx *ctx, const xmlNode *n, const char *where)
{
    if (attr_is_true(n, "required"))
        return vmhi__error(VMHI_E_UNSUPPORTED,
                           "OVF line %u: <%.64s> in %s is marked ovf:required=\"true\" and VMHI "
                           "does not know it",
                           vmhi__ovf_line_of(n), (const char *)n->name, where);
    return vmhi__ovf_note(ctx, VMHI_OVF_REPORT_UNHONOURED, n, "<%.64s> in %s is not honoured",
                          (const char *)n->name, where);
}

static int check_references(const xmlNode *refs, vmhi__ovf_ctx *ctx)
{
    for (const xmlNode *f = refs->children; f; f = f->next) {
        if (f->type != XML_ELEMENT_NODE)
            continue;
        if (!vmhi__ovf_is(f, "File"))
            continue;
        char *id = vmhi__ovf_attr(f, "id"), *href = vmhi__ovf_attr(f, "href");
        int rc = VMHI_OK;
        if (!id || !href || !*id || !*href)
            rc = vmhi__ovf_fail(f, "<File> needs ovf:id and ovf:href");
        else if (!vmhi__ovf_safe_name(href) || strstr(href, ".."))
            rc = vmhi__ovf_fail(f, "File \"%.64s\": href \"%.128s\" is not a relative file name "
                                   "in the package (no \"..\", no control character; VMHI "
                                   "never fetches from a URL)", id, href);
        for (const xmlNode *g = refs->children; rc == 0 && g != f; g = g->next) {
            char *other = vmhi__ovf_is(g, "File") ? vmhi__ovf_attr(g, "id") : NULL;
            if (other && strcmp(other, id) == 0)
                rc = vmhi__ovf_fail(f, "File id \"%.64s\" is declared twice", id);
            xmlFree(other);
        }
        if (rc == 0)
            rc = vmhi__ovf_add_href(ctx->pkg, href);
        if (rc == 0 && ctx->members) {
            bool found = false;
            for (size_t i = 0; i < ctx->member_count && !found; i++)
                found = strcmp(ctx->members[i], href) == 0;
            if (!found)
                rc = vmhi__ovf_note((vmhi__ovf_ctx *)ctx, VMHI_OVF_REPORT_UNHONOURED, f,
                                    "File \"%.64s\": the archive holds no \"%.128s\"; the "
                                    "disk must already be in the disk directory", id, href);
        }
        xmlFree(id);
        xmlFree(href);
        if (rc)
            return rc;
    }
    return VMHI_OK;
}

/* Finds the File element with ovf:id @id. */
static const xmlNode *find_file(const vmhi__ovf_ctx *ctx, const char *id)
{
    for (const xmlNode *f = ctx->references ? ctx->references->children : NULL; f; f = f->next) {
        if (!vmhi__ovf_is(f, "File"))
            continue;
        char *fid = vmhi__ovf_attr(f, "id");
        bool match = fid && strcmp(fid, id) == 0;
        xmlFree(fid);
        if (match)
            return f;
    }
    return NULL;
}

static int check_disks(const vmhi__ovf_ctx *ctx)
{
    for (const xmlNode *d = ctx->disks->children; d; d = d->next) {
        if (!vmhi__ovf_is(d, "Disk"))
            continue;
        char *id = vmhi__ovf_attr(d, "diskId"), *ref = vmhi__ovf_attr(d, "fileRef");
        char *cap = vmhi__ovf_attr(d, "capacity");
        int rc = VMHI_OK;
        if (!id || !*id || !cap)
            rc = vmhi__ovf_fail(d, "<Disk> needs ovf:diskId and ovf:capacity");
        else if (ref && !find_file(ctx, ref))
            rc = vmhi__ovf_fail(d, "Disk \"%.64s\": fileRef \"%.64s\" names no File of the "
                                   "References", id, ref);
        for (const xmlNode *e = ctx->disks->children; rc == 0 && e != d; e = e->next) {
            char *other = vmhi__ovf_is(e, "Disk") ? vmhi__ovf_attr(e, "diskId") : NULL;
            if (other && strcmp(other, id) == 0)
                rc = vmhi__ovf_fail(d, "Disk id \"%.64s\" is declared twice", id);
            xmlFree(other);
        }
        xmlFree(id);
        xmlFree(ref);
        xmlFree(cap);
        if (rc)
            return rc;
    }
    return VMHI_OK;
}

/* Chooses the deployment option: the one asked for, else the default,
 * else the first. */
static int select_option(vmhi__ovf_ctx *ctx, const xmlNode *section, const char *wanted,
                         char **chosen)
{
    const xmlNode *first = NULL, *def = NULL, *match = NULL;
    for (const xmlNode *c = section ? section->children : NULL; c; c = c->next) {
        if (!vmhi__ovf_is(c, "Configuration"))
            continue;
        char *id = vmhi__ovf_attr(c, "id");
        if (!id)
            return vmhi__ovf_fail(c, "<Configuration> needs ovf:id");
        if (!first)
            first = c;
        if (!def && attr_is_true(c, "default"))
            def = c;
        if (wanted && strcmp(id, wanted) == 0)
            match = c;
        xmlFree(id);
    }
    (void)ctx;
    if (wanted && !match)
        return vmhi__error(VMHI_E_NOT_FOUND, "the OVF envelope has no deployment option \"%.64s\"",
                           wanted);
    const xmlNode *pick = match ? match : def ? def : first;
    *chosen = pick ? vmhi__ovf_attr(pick, "id") : NULL;
    return pick && !*chosen ? vmhi__error_oom() : VMHI_OK;
}

/* ---- one VirtualSystem ------------------------------------------------------------ */

static int keep_text(vmhi__ovf_ctx *ctx, vmhi_vm_config *cfg, const xmlNode *sec,
                     const char *child, const char *name)
{
    char *v = vmhi__ovf_child_text(sec, child);
    int rc = v && *v ? vmhi__ovf_keep(ctx, cfg, sec, name, v) : VMHI_OK;
    xmlFree(v);
    return rc;
}

static int read_product(vmhi__ovf_ctx *ctx, const xmlNode *sec, vmhi_vm_config *cfg)
{
    static const char *const fields[] = { "Product", "Vendor", "Version", "FullVersion",
                                          "ProductUrl", "VendorUrl" };
    int rc = VMHI_OK;
    for (size_t i = 0; rc == 0 && i < VMHI_ARRAY_SIZE(fields); i++) {
        char name[40];
        snprintf(name, sizeof(name), "product.%s", fields[i]);
        rc = keep_text(ctx, cfg, sec, fields[i], name);
    }
    for (const xmlNode *p = sec->children; rc == 0 && p; p = p->next) {
        if (!vmhi__ovf_is(p, "Property"))
            continue;
        char *key = vmhi__ovf_attr(p, "key"), *value = vmhi__ovf_attr(p, "value");
        char *type = vmhi__ovf_attr(p, "type");
        if (key) {
            char name[80];
            snprintf(name, sizeof(name), "property.%.64s", key);
            rc = vmhi__ovf_keep(ctx, cfg, p, name, value ? value : "");
            /* The type (uint8, boolean, password...) goes back on export. */
            snprintf(name, sizeof(name), "property-type.%.64s", key);
            if (rc == 0 && type && strcmp(type, "string") != 0)
                rc = vmhi__ovf_keep(ctx, cfg, p, name, type);
        }
        xmlFree(key);
        xmlFree(value);
        xmlFree(type);
    }
    return rc;
}

static int keep_raw(vmhi__ovf_ctx *ctx, const xmlNode *sec, vmhi_vm_config *cfg,
                    const char *prefix, unsigned *n);

static int read_os(vmhi__ovf_ctx *ctx, const xmlNode *sec, vmhi_vm_config *cfg)
{
    char *id = vmhi__ovf_attr(sec, "id");
    char *type = vmhi__ovf_ns_attr(sec, VMHI__OVF_VMW_NS, "osType");
    int rc = id ? vmhi__ovf_keep(ctx, cfg, sec, "os-id", id) : VMHI_OK;
    if (rc == 0 && type)
        rc = vmhi__ovf_keep(ctx, cfg, sec, "os-type", type);
    if (rc == 0)
        rc = keep_text(ctx, cfg, sec, "Description", "os-description");
    /* A vendor child (vbox:OSType...) is kept whole for export, as a vendor
     * section is; an OVF child VMHI does not know is said, not dropped
     * (OVF-5). */
    unsigned kept = 0;
    for (const xmlNode *c = sec->children; rc == 0 && c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || vmhi__ovf_is(c, "Info") ||
            vmhi__ovf_is(c, "Description"))
            continue;
        if (!vmhi__ovf_is_ovf_ns(c) && c->ns)
            rc = keep_raw(ctx, c, cfg, "os-section", &kept);
        else
            rc = vmhi__ovf_note(ctx, VMHI_OVF_REPORT_UNHONOURED, c,
                                "<%.64s> in OperatingSystemSection is not honoured",
                                (const char *)c->name);
    }
    xmlFree(id);
    xmlFree(type);
    return rc;
}

/* A vendor element kept whole: its XML (with the namespaces it uses) in
 * metadata entries "<prefix>.<n>.<part>" of at most 4000 bytes each
 * ("section" for a vendor section, "os-section" for a vendor child of
 * OperatingSystemSection). */
static int keep_raw(vmhi__ovf_ctx *ctx, const xmlNode *sec, vmhi_vm_config *cfg,
                    const char *prefix, unsigned *n)
{
    xmlDoc *copy = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = copy ? xmlDocCopyNode((xmlNode *)sec, copy, 1) : NULL;
    xmlBuffer *buf = root ? xmlBufferCreate() : NULL;
    int rc = VMHI_OK;
    if (!buf) {
        rc = vmhi__error_oom();
        goto out;
    }
    xmlDocSetRootElement(copy, root);
    if (xmlNodeDump(buf, copy, root, 0, 0) < 0) {
        rc = vmhi__error_oom();
        goto out;
    }
    const char *text = (const char *)xmlBufferContent(buf);
    size_t len = strlen(text), parts = 0;
    for (size_t off = 0; rc == 0 && off < len; parts++) {
        size_t take = len - off > 4000 ? 4000 : len - off;
        while (off + take < len && ((unsigned char)text[off + take] & 0xC0) == 0x80)
            take--; /* never split a UTF-8 sequence */
        char name[48], part[4001];
        snprintf(name, sizeof(name), "%s.%u.%zu", prefix, *n, parts);
        memcpy(part, text + off, take);
        part[take] = '\0';
        rc = vmhi__ovf_keep(ctx, cfg, sec, name, part);
        off += take;
    }
    if (rc == 0)
        rc = vmhi__ovf_note(ctx, VMHI_OVF_REPORT_CONVERTED, sec,
                            "<%.64s> kept as metadata %s%s.%u.* (%zu bytes) for export",
                            (const char *)sec->name, VMHI__OVF_META, prefix, *n, len);
    (*n)++;
out:
    xmlBufferFree(buf);
    xmlFreeDoc(copy);
    return rc;
}

static int read_vmhi_section(vmhi__ovf_ctx *ctx, const xmlNode *sec, vmhi_vm_config *cfg);

static int read_section(vmhi__ovf_ctx *ctx, const xmlNode *c, vmhi_vm_config *cfg,
                        bool *hardware_seen, unsigned *raw)
{
    if (!vmhi__ovf_is_ovf_ns(c)) {
        if (c->ns && xmlStrEqual(c->ns->href, BAD_CAST VMHI__OVF_VMHI_NS) &&
            vmhi__ovf_is(c, "VmhiSection"))
            return read_vmhi_section(ctx, c, cfg);
        if (attr_is_true(c, "required"))
            return unknown_element(ctx, c, "a VirtualSystem");
        return keep_raw(ctx, c, cfg, "section", raw);
    }
    if (vmhi__ovf_is(c, "Info") || vmhi__ovf_is(c, "Name"))
        return VMHI_OK;
    if (vmhi__ovf_is(c, "VirtualHardwareSection")) {
        if (!vmhi__ovf_in_option(ctx, c))
            return VMHI_OK;
        if (*hardware_seen)
            return vmhi__ovf_note(ctx, VMHI_OVF_REPORT_UNHONOURED, c,
                                  "a second VirtualHardwareSection is not honoured (the first "
                                  "one applies)");
        *hardware_seen = true;
        return vmhi__ovf_read_hardware(ctx, c, cfg);
    }
    if (vmhi__ovf_is(c, "AnnotationSection"))
        return keep_text(ctx, cfg, c, "Annotation", "annotation");
    if (vmhi__ovf_is(c, "ProductSection"))
        return read_product(ctx, c, cfg);
    if (vmhi__ovf_is(c, "OperatingSystemSection"))
        return read_os(ctx, c, cfg);
    return unknown_element(ctx, c, "a VirtualSystem");
}

static int vm_name(const xmlNode *vs, char **name)
{
    *name = vmhi__ovf_child_text(vs, "Name");
    if (*name && !**name) {
        xmlFree(*name);
        *name = NULL;
    }
    if (!*name)
        *name = vmhi__ovf_attr(vs, "id");
    if (!*name)
        return vmhi__ovf_fail(vs, "<VirtualSystem> needs ovf:id");
    if (vmhi__check_name(*name) < 0) {
        char msg[200];
        vmhi__strlcpy(msg, vmhi_error_last_message(), sizeof(msg));
        int rc = vmhi__ovf_fail(vs, "VirtualSystem name \"%.64s\" is not a VMHI name: %s", *name,
                                msg);
        xmlFree(*name);
        *name = NULL;
        return rc;
    }
    return VMHI_OK;
}

static int read_system(vmhi__ovf_ctx *ctx, const xmlNode *vs)
{
    char *name = NULL;
    vmhi_vm_config *cfg = NULL;
    int rc = vm_name(vs, &name);
    if (rc == 0)
        rc = vmhi_vm_config_new(&cfg);
    if (rc == 0)
        rc = vmhi_vm_config_set_name(cfg, name);
    xmlFree(name);
    ctx->vm = ctx->pkg->vm_count;
    bool hardware = false;
    unsigned raw = 0;
    for (const xmlNode *c = vs->children; rc == 0 && c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            rc = read_section(ctx, c, cfg, &hardware, &raw);
    if (rc == 0 && !hardware)
        rc = vmhi__ovf_fail(vs, "VirtualSystem has no VirtualHardwareSection%s",
                            ctx->option ? " for the selected deployment option" : "");
    if (rc == 0 && vmhi__config_validate(cfg) < 0) {
        char msg[300];
        vmhi__strlcpy(msg, vmhi_error_last_message(), sizeof(msg));
        rc = vmhi__ovf_fail(vs, "the VM it describes is not valid: %s", msg);
    }
    if (rc == 0)
        rc = vmhi__ovf_add_vm(ctx->pkg, cfg);
    if (rc)
        vmhi_vm_config_free(cfg);
    return rc;
}

static int read_content(vmhi__ovf_ctx *ctx, const xmlNode *node, unsigned depth)
{
    if (vmhi__ovf_is(node, "VirtualSystem"))
        return read_system(ctx, node);
    if (depth >= VMHI__OVF_DEPTH_MAX)
        return vmhi__ovf_fail(node, "VirtualSystemCollections nest deeper than %d levels",
                              VMHI__OVF_DEPTH_MAX);
    int rc = VMHI_OK;
    for (const xmlNode *c = node->children; rc == 0 && c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || vmhi__ovf_is(c, "Info") || vmhi__ovf_is(c, "Name"))
            continue;
        if (vmhi__ovf_is(c, "VirtualSystem") || vmhi__ovf_is(c, "VirtualSystemCollection"))
            rc = read_content(ctx, c, depth + 1);
        else
            rc = unknown_element(ctx, c, "a VirtualSystemCollection");
    }
    return rc;
}

/* ---- the envelope ------------------------------------------------------------------ */

static int read_envelope_parts(vmhi__ovf_ctx *ctx, const xmlNode **options)
{
    int rc = VMHI_OK;
    for (const xmlNode *c = ctx->envelope->children; rc == 0 && c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (vmhi__ovf_is(c, "References") && vmhi__ovf_is_ovf_ns(c))
            ctx->references = c;
        else if (vmhi__ovf_is(c, "DiskSection"))
            ctx->disks = c;
        else if (vmhi__ovf_is(c, "NetworkSection"))
            ctx->networks = c;
        else if (vmhi__ovf_is(c, "DeploymentOptionSection"))
            *options = c;
        else if (vmhi__ovf_is(c, "VirtualSystem") || vmhi__ovf_is(c, "VirtualSystemCollection"))
            continue;
        else if (is_section(c) || !vmhi__ovf_is_ovf_ns(c))
            rc = unknown_element(ctx, c, "the Envelope");
    }
    if (rc == 0 && ctx->references)
        rc = check_references(ctx->references, ctx);
    if (rc == 0 && ctx->disks)
        rc = check_disks(ctx);
    return rc;
}

static int report_unused_disks(vmhi__ovf_ctx *ctx);

static int read_envelope(vmhi__ovf_ctx *ctx, const char *wanted)
{
    const xmlNode *root = xmlDocGetRootElement(ctx->doc);
    if (!vmhi__ovf_is(root, "Envelope") || !vmhi__ovf_is_ovf_ns(root))
        return vmhi__ovf_fail(root, "the document is not an OVF envelope (<Envelope> of "
                                    "namespace %s or %s)", VMHI__OVF_NS1, VMHI__OVF_NS2);
    ctx->envelope = root;
    const xmlNode *options = NULL;
    char *chosen = NULL;
    int rc = read_envelope_parts(ctx, &options);
    if (rc == 0 && wanted && !options)
        rc = vmhi__error(VMHI_E_NOT_FOUND, "the OVF envelope has no DeploymentOptionSection, so "
                                           "no option \"%.64s\"", wanted);
    if (rc == 0 && options)
        rc = select_option(ctx, options, wanted, &chosen);
    ctx->option = chosen;
    ctx->vm = (size_t)-1;
    if (rc == 0 && chosen)
        rc = vmhi__ovf_add_line(ctx->pkg, VMHI_OVF_REPORT_CONVERTED, vmhi__ovf_line_of(options),
                                (size_t)-1, "deployment option \"%.64s\" selected", chosen);
    size_t systems = 0;
    for (const xmlNode *c = root->children; rc == 0 && c; c = c->next)
        if (vmhi__ovf_is(c, "VirtualSystem") || vmhi__ovf_is(c, "VirtualSystemCollection")) {
            rc = read_content(ctx, c, 0);
            systems++;
        }
    if (rc == 0)
        rc = report_unused_disks(ctx);
    if (rc == 0 && systems != 1)
        rc = vmhi__ovf_fail(root, "an OVF envelope holds exactly one VirtualSystem or "
                                  "VirtualSystemCollection (found %zu)", systems);
    ctx->option = NULL;
    xmlFree(chosen);
    return rc;
}

/* A Disk no item (of the selected deployment option) uses is not imported. */
static int report_unused_disks(vmhi__ovf_ctx *ctx)
{
    ctx->vm = (size_t)-1;
    for (const xmlNode *d = ctx->disks ? ctx->disks->children : NULL; d; d = d->next) {
        if (!vmhi__ovf_is(d, "Disk"))
            continue;
        bool used = false;
        for (size_t i = 0; i < ctx->used_disk_count && !used; i++)
            used = ctx->used_disks[i] == d;
        if (used)
            continue;
        char *id = vmhi__ovf_attr(d, "diskId");
        int rc = vmhi__ovf_note(ctx, VMHI_OVF_REPORT_UNHONOURED, d,
                                "Disk \"%.64s\" is used by no item%s; it is not imported",
                                id ? id : "", ctx->option ? " of the deployment option" : "");
        xmlFree(id);
        if (rc)
            return rc;
    }
    return VMHI_OK;
}

int vmhi__ovf_check_options(const vmhi_ovf_import_options *opts)
{
    if (!opts)
        return VMHI_OK;
    if (opts->version == 0 || opts->version > VMHI_OVF_IMPORT_OPTIONS_VERSION)
        return vmhi__error(VMHI_E_INVALID_ARG, "vmhi_ovf_import_options version %u is not "
                                               "supported (1..%d)", opts->version,
                           VMHI_OVF_IMPORT_OPTIONS_VERSION);
    if (opts->flags & ~VMHI_OVF_FLAG_ALL_1_1)
        return vmhi__error(VMHI_E_INVALID_ARG, "unknown OVF import flags 0x%x", opts->flags);
    if (opts->disk_dir && (opts->disk_dir[0] != '/' || strlen(opts->disk_dir) > 2048))
        return vmhi__error(VMHI_E_INVALID_ARG, "disk_dir must be an absolute directory");
    return VMHI_OK;
}

int vmhi__ovf_parse(vmhi_ovf_package **out, const char *xml, size_t len,
                    const vmhi_ovf_import_options *opts, const char *disk_dir,
                    const char *const *members, size_t member_count)
{
    if (len > VMHI__OVF_DOC_MAX)
        return vmhi__error(VMHI_E_LIMIT, "OVF descriptor is %zu bytes; at most %u are accepted",
                           len, VMHI__OVF_DOC_MAX);
    xmlDoc *doc = NULL;
    vmhi_ovf_package *pkg = NULL;
    int rc = parse_xml(xml, len, &doc);
    if (rc == 0)
        rc = vmhi__ovf_package_new(&pkg);
    if (rc == 0) {
        vmhi__ovf_ctx ctx = { .pkg = pkg, .doc = doc, .disk_dir = disk_dir,
                              .strict = opts && (opts->flags & VMHI_OVF_STRICT),
                              .members = members, .member_count = member_count };
        rc = read_envelope(&ctx, opts ? opts->option : NULL);
    }
    if (rc == 0 && disk_dir && !(pkg->disk_dir = vmhi__strdup(disk_dir)))
        rc = vmhi__error_oom();
    xmlFreeDoc(doc);
    if (rc) {
        vmhi_ovf_package_free(pkg);
        return rc;
    }
    *out = pkg;
    return VMHI_OK;
}

int vmhi_ovf_package_parse(vmhi_ovf_package **out, const char *xml, size_t len,
                           const vmhi_ovf_import_options *opts)
{
    vmhi__error_reset();
    if (!out)
        return vmhi__error(VMHI_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!xml)
        return vmhi__error(VMHI_E_INVALID_ARG, "OVF descriptor is NULL");
    int rc = vmhi__ovf_check_options(opts);
    if (rc)
        return rc;
    return vmhi__ovf_parse(out, xml, len, opts, opts ? opts->disk_dir : NULL, NULL, 0);
}

/* ---- the VMHI section ------------------------------------------------------------------ */

static int vmhi_number(const xmlNode *c, uint64_t max, uint64_t *v)
{
    char *t = trimmed(xmlNodeGetContent(c));
    bool ok = vmhi__ovf_parse_u64(t, v) && *v <= max;
    xmlFree(t);
    return ok ? VMHI_OK : vmhi__ovf_fail(c, "<vmhi:%s> is not a number in range",
                                         (const char *)c->name);
}

/* One child of vmhi:VmhiSection; @boot collects the boot order. */
static int read_vmhi_value(const xmlNode *c, vmhi_vm_config *cfg, vmhi_boot_dev *boot,
                           size_t *boot_count)
{
    uint64_t v;
    int rc = VMHI_OK;
    char *t = trimmed(xmlNodeGetContent(c));
    char *key = NULL;
    if (!t)
        return vmhi__error_oom();
    if (vmhi__ovf_is(c, "Uuid"))
        rc = vmhi_vm_config_set_uuid(cfg, t);
    else if (vmhi__ovf_is(c, "MaxVcpus") && (rc = vmhi_number(c, UINT32_MAX, &v)) == 0)
        rc = vmhi_vm_config_set_max_vcpus(cfg, (unsigned)v);
    else if (vmhi__ovf_is(c, "MaxMemoryMib") && (rc = vmhi_number(c, UINT64_MAX, &v)) == 0)
        rc = vmhi_vm_config_set_max_memory_mib(cfg, v);
    else if (vmhi__ovf_is(c, "Firmware")) {
        vmhi_firmware fw;
        rc = vmhi_firmware_from_name(t, &fw);
        if (rc == 0)
            rc = vmhi_vm_config_set_firmware(cfg, fw);
    } else if (vmhi__ovf_is(c, "GuestType")) {
        vmhi_guest_type gt;
        rc = vmhi_guest_type_from_name(t, &gt);
        if (rc == 0)
            rc = vmhi_vm_config_set_guest_type(cfg, gt);
    } else if (vmhi__ovf_is(c, "Kernel"))
        rc = vmhi_vm_config_set_kernel(cfg, t);
    else if (vmhi__ovf_is(c, "Initrd"))
        rc = vmhi_vm_config_set_initrd(cfg, t);
    else if (vmhi__ovf_is(c, "Cmdline")) {
        xmlFree(t);
        t = (char *)xmlNodeGetContent(c); /* exactly, white space included */
        rc = t ? vmhi_vm_config_set_cmdline(cfg, t) : vmhi__error_oom();
    } else if (vmhi__ovf_is(c, "Boot")) {
        vmhi_boot_dev dev;
        rc = vmhi_boot_dev_from_name(t, &dev);
        if (rc == 0 && *boot_count >= VMHI_BOOT_ORDER_MAX)
            rc = vmhi__error(VMHI_E_INVALID_ARG, "more than %d boot devices",
                             VMHI_BOOT_ORDER_MAX);
        if (rc == 0)
            boot[(*boot_count)++] = dev;
    } else if (vmhi__ovf_is(c, "Metadata")) {
        xmlFree(t);
        t = (char *)xmlNodeGetContent(c);
        key = (char *)xmlGetNoNsProp(c, BAD_CAST "key");
        rc = t && key ? vmhi_vm_config_set_metadata(cfg, key, t)
                      : vmhi__ovf_fail(c, "<vmhi:Metadata> needs a key");
    } else {
        rc = vmhi__ovf_fail(c, "<vmhi:%.64s> is not an element of VmhiSection",
                            (const char *)c->name);
    }
    if (rc && rc != VMHI_E_PARSE && rc != VMHI_E_NOMEM) {
        char msg[300];
        vmhi__strlcpy(msg, vmhi_error_last_message(), sizeof(msg));
        rc = vmhi__ovf_fail(c, "<vmhi:%.64s>: %s", (const char *)c->name, msg);
    }
    xmlFree(key);
    xmlFree(t);
    return rc;
}

static int read_vmhi_section(vmhi__ovf_ctx *ctx, const xmlNode *sec, vmhi_vm_config *cfg)
{
    (void)ctx;
    vmhi_boot_dev boot[VMHI_BOOT_ORDER_MAX];
    size_t boot_count = 0;
    int rc = VMHI_OK;
    for (const xmlNode *c = sec->children; rc == 0 && c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || vmhi__ovf_is(c, "Info"))
            continue;
        rc = read_vmhi_value(c, cfg, boot, &boot_count);
    }
    if (rc == 0 && boot_count && vmhi_vm_config_set_boot_order(cfg, boot, boot_count) < 0)
        rc = vmhi__ovf_fail(sec, "the boot order of VmhiSection is not valid");
    return rc;
}
