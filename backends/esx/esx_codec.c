/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * SOAP codec of the ESX backend.  Requests are written as text with every
 * value escaped (esx_buf); replies are parsed with libxml2 (no network,
 * no entities).  Element names are matched by local name, and xsi:type
 * attributes are found by namespace URI, not by prefix: govmomi's
 * simulator writes them with a locally declared "XMLSchema-instance:"
 * prefix, real ESX with "xsi:".  A SOAP fault becomes a VMHI error whose
 * native code is the vSphere fault name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "esx.h"

#define NS_SOAPENV "http://schemas.xmlsoap.org/soap/envelope/"

void esx_soap_begin(esx_buf *b, const char *method, const char *this_type, const char *this_ref)
{
    esx_buf_add(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                   "<soapenv:Envelope xmlns:soapenv=\"" NS_SOAPENV "\""
                   " xmlns:xsi=\"" ESX_NS_XSI "\" xmlns:vim25=\"" ESX_NS_VIM "\">"
                   "<soapenv:Body>");
    esx_buf_addf(b, "<%s xmlns=\"" ESX_NS_VIM "\">", method);
    esx_buf_moref(b, "_this", this_type, this_ref);
}

void esx_soap_end(esx_buf *b, const char *method)
{
    esx_buf_addf(b, "</%s></soapenv:Body></soapenv:Envelope>", method);
}

void esx_reply_free(esx_reply *r)
{
    if (r->doc)
        xmlFreeDoc(r->doc);
    r->doc = NULL;
    r->result = NULL;
}

/* ------------------------------------------------------------ lookups */

bool esx_xml_name_is(const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

xmlNode *esx_xml_first_element(const xmlNode *node)
{
    for (xmlNode *n = node ? node->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

xmlNode *esx_xml_child(const xmlNode *node, const char *name)
{
    for (xmlNode *n = node ? node->children : NULL; n; n = n->next)
        if (esx_xml_name_is(n, name))
            return n;
    return NULL;
}

xmlNode *esx_xml_next(const xmlNode *node, const char *name)
{
    for (xmlNode *n = node ? node->next : NULL; n; n = n->next)
        if (esx_xml_name_is(n, name))
            return n;
    return NULL;
}

const char *esx_xml_text(const xmlNode *node, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const xmlNode *n = node ? node->children : NULL; n; n = n->next) {
        if (n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE)
            continue;
        size_t part = strlen((const char *)n->content);
        if (len + part >= size)
            part = size - 1 - len;
        memcpy(buf + len, n->content, part);
        len += part;
        buf[len] = '\0';
    }
    return buf;
}

const char *esx_xml_child_text(const xmlNode *node, const char *name, char *buf, size_t size)
{
    const xmlNode *child = esx_xml_child(node, name);
    return child ? esx_xml_text(child, buf, size) : NULL;
}

const char *esx_xml_xsi_type(const xmlNode *node, char *buf, size_t size)
{
    buf[0] = '\0';
    for (const xmlAttr *a = node ? node->properties : NULL; a; a = a->next) {
        if (!a->ns || !a->ns->href || strcmp((const char *)a->name, "type") != 0 ||
            strcmp((const char *)a->ns->href, ESX_NS_XSI) != 0)
            continue;
        const char *value = a->children ? (const char *)a->children->content : "";
        const char *colon = strrchr(value, ':');
        esx_copy(buf, size, colon ? colon + 1 : value);
        break;
    }
    return buf;
}

bool esx_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

bool esx_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* -------------------------------------------------------------- faults */

static const struct {
    const char *fault;
    int code;
} fault_map[] = {
    { "InvalidLogin", VMHI_E_AUTH },
    { "NotAuthenticated", VMHI_E_AUTH },
    /* Logged in, but the role lacks a privilege: no new login helps. */
    { "NoPermission", VMHI_E_PERMISSION },
    { "NotFound", VMHI_E_NOT_FOUND },
    { "ManagedObjectNotFound", VMHI_E_NO_VM },
    { "InvalidPowerState", VMHI_E_INVALID_STATE },
    { "InvalidState", VMHI_E_INVALID_STATE },
    { "DuplicateName", VMHI_E_EXISTS },
    { "AlreadyExists", VMHI_E_EXISTS },
    { "FileAlreadyExists", VMHI_E_EXISTS },
    { "NotSupported", VMHI_E_UNSUPPORTED },
    { "MethodNotFound", VMHI_E_UNSUPPORTED },
    { "NotImplemented", VMHI_E_UNSUPPORTED },
    { "ToolsUnavailable", VMHI_E_UNSUPPORTED },
    { "InvalidArgument", VMHI_E_INVALID_ARG },
    { "InvalidRequest", VMHI_E_INVALID_ARG },
    { "InvalidType", VMHI_E_INVALID_ARG },
    { "InvalidProperty", VMHI_E_INVALID_ARG },
    { "InvalidName", VMHI_E_INVALID_ARG },
    { "InvalidDeviceSpec", VMHI_E_INVALID_ARG },
    { "InvalidDatastorePath", VMHI_E_INVALID_ARG },
    { "FileNotFound", VMHI_E_IO },
    { "FileFault", VMHI_E_IO },
    { "InvalidDatastore", VMHI_E_NOT_FOUND },
    /* Admission control: the host or pool lacks free CPU or memory now;
     * powering off another VM or a later retry can succeed, so it is no
     * fixed limit of the request. */
    { "InsufficientResourcesFault", VMHI_E_TRY_AGAIN },
    { "InsufficientMemoryResourcesFault", VMHI_E_TRY_AGAIN },
    { "InsufficientCpuResourcesFault", VMHI_E_TRY_AGAIN },
    { "InsufficientHostCapacityFault", VMHI_E_TRY_AGAIN },
    { "OutOfBounds", VMHI_E_LIMIT },
    { "TaskInProgress", VMHI_E_BUSY },
    { "ConcurrentAccess", VMHI_E_BUSY },
    { "Timedout", VMHI_E_TIMEOUT },
};

int esx_fault_code(const char *fault)
{
    for (size_t i = 0; i < sizeof(fault_map) / sizeof(fault_map[0]); i++)
        if (strcmp(fault, fault_map[i].fault) == 0)
            return fault_map[i].code;
    return VMHI_E_BACKEND;
}

/* The fault's name from a detail child: its xsi:type, else its element
 * name without the "Fault" suffix vSphere appends. */
static void fault_name_of(const xmlNode *node, char *name, size_t size)
{
    esx_xml_xsi_type(node, name, size);
    if (name[0] || !node)
        return;
    esx_copy(name, size, (const char *)node->name);
    size_t len = strlen(name);
    if (len > 5 && strcmp(name + len - 5, "Fault") == 0)
        name[len - 5] = '\0';
}

static int report_fault(const char *method, const xmlNode *fault, char *fault_name)
{
    char text[512], name[64];
    const char *msg = esx_xml_child_text(fault, "faultstring", text, sizeof(text));
    fault_name_of(esx_xml_first_element(esx_xml_child(fault, "detail")), name, sizeof(name));
    if (!name[0])
        esx_copy(name, sizeof(name), "SystemError");
    if (fault_name)
        esx_copy(fault_name, 64, name);
    return esx_error_native(esx_fault_code(name), name, "esx: %s failed: %s%s%s", method, name,
                            msg && msg[0] ? ": " : "", msg ? msg : "");
}

int esx_fault_from_node(const xmlNode *fault, const char *what)
{
    char name[64], text[512];
    fault_name_of(esx_xml_child(fault, "fault"), name, sizeof(name));
    if (!name[0])
        esx_copy(name, sizeof(name), "SystemError");
    const char *msg = esx_xml_child_text(fault, "localizedMessage", text, sizeof(text));
    return esx_error_native(esx_fault_code(name), name, "esx: %s failed: %s%s%s", what, name,
                            msg && msg[0] ? ": " : "", msg ? msg : "");
}

/* A property collector answers a read it cannot authorise not with a fault
 * but with every property in a missingSet whose fault is NotAuthenticated
 * (the session expired, or the server restarted and forgot it).  Taking
 * such an answer as data would keep whatever the cache held before: the
 * whole reply is that fault, so the call logs in again and retries. */
static const xmlNode *unauthenticated_missing_set(const xmlNode *node, int depth)
{
    for (const xmlNode *ch = esx_xml_first_element(node); ch && depth > 0; ch = ch->next) {
        if (ch->type != XML_ELEMENT_NODE)
            continue;
        if (esx_xml_name_is(ch, "missingSet")) {
            char name[64];
            fault_name_of(esx_xml_child(esx_xml_child(ch, "fault"), "fault"), name,
                          sizeof(name));
            if (strcmp(name, "NotAuthenticated") == 0)
                return ch;
            continue;
        }
        const xmlNode *hit = unauthenticated_missing_set(ch, depth - 1);
        if (hit)
            return hit;
    }
    return NULL;
}

static int check_missing_sets(const char *method, const xmlNode *result, char *fault_name)
{
    /* returnval > objects > missingSet (reads); returnval > filterSet >
     * objectSet > missingSet (updates). */
    if (!unauthenticated_missing_set(result, 4))
        return VMHI_OK;
    if (fault_name)
        esx_copy(fault_name, 64, "NotAuthenticated");
    return esx_error_native(VMHI_E_AUTH, "NotAuthenticated", "esx: %s failed: "
                            "NotAuthenticated: the server answered without a session", method);
}

/* ------------------------------------------------------------- replies */

static xmlNode *soap_body(xmlDoc *doc)
{
    xmlNode *env = xmlDocGetRootElement(doc);
    if (!esx_xml_name_is(env, "Envelope"))
        return NULL;
    for (xmlNode *n = env->children; n; n = n->next)
        if (esx_xml_name_is(n, "Body") && n->ns && strcmp((const char *)n->ns->href,
                                                          NS_SOAPENV) == 0)
            return n;
    return NULL;
}

static int not_soap(const char *method, long status)
{
    if (status == 404)
        return esx_error_native(VMHI_E_CONNECTION, "HTTP 404",
                                "esx: no vSphere API at this address (HTTP 404 for %s); is it "
                                "an ESXi host or a vCenter?", method);
    if (status == 401 || status == 403)
        return esx_error_native(VMHI_E_AUTH, "HTTP 401", "esx: %s was refused (HTTP %ld)",
                                method, status);
    return esx_error_native(VMHI_E_BACKEND, "HTTP", "esx: the reply to %s is not a SOAP "
                            "message (HTTP %ld)", method, status);
}

/* SOAP 1.1 (section 3) forbids a DTD in a message.  A reply with one is
 * where entities would come from (XXE, entity expansion), so the parse
 * stops at the DOCTYPE, before any of its declarations is read. */
static void stop_at_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                            const xmlChar *system_id)
{
    (void)name;
    (void)external_id;
    (void)system_id;
    xmlParserCtxtPtr ctxt = ctx;
    *(bool *)ctxt->_private = true;
    xmlStopParser(ctxt);
}

/* Never XML_PARSE_NOENT or XML_PARSE_DTDLOAD; HUGE because a property
 * collector's answer for a big inventory exceeds libxml2's default limits. */
static xmlDoc *read_reply(const char *data, size_t len, bool *doctype)
{
    *doctype = false;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return NULL;
    ctxt->_private = doctype;
    ctxt->sax->internalSubset = stop_at_doctype;
    xmlDoc *doc = xmlCtxtReadMemory(ctxt, data, (int)len, "reply.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR |
                                        XML_PARSE_NOWARNING | XML_PARSE_HUGE);
    xmlFreeParserCtxt(ctxt);
    if (doc && *doctype) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    return doc;
}

int esx_codec_parse(const char *method, const char *data, size_t len, long status,
                    esx_reply *out, char *fault_name)
{
    out->doc = NULL;
    out->result = NULL;
    if (fault_name)
        fault_name[0] = '\0';
    if (len > INT32_MAX)
        return esx_error(VMHI_E_BACKEND, "esx: the reply to %s is too large", method);
    bool doctype;
    xmlDoc *doc = read_reply(data, len, &doctype);
    if (doctype)
        return esx_error_native(VMHI_E_BACKEND, "BadReply", "esx: the reply to %s declares a "
                                "DOCTYPE, which SOAP forbids; refused unread (HTTP %ld)",
                                method, status);
    xmlNode *body = doc ? soap_body(doc) : NULL;
    xmlNode *first = esx_xml_first_element(body);
    if (!first) {
        if (doc)
            xmlFreeDoc(doc);
        return not_soap(method, status);
    }
    if (esx_xml_name_is(first, "Fault")) {
        int rc = report_fault(method, first, fault_name);
        xmlFreeDoc(doc);
        return rc;
    }
    char expected[96];
    snprintf(expected, sizeof(expected), "%sResponse", method);
    if (!esx_xml_name_is(first, expected) || status != 200) {
        /* The message names the element: report it before the document goes. */
        int rc = esx_error_native(VMHI_E_BACKEND, "BadReply", "esx: unexpected reply to %s "
                                  "(HTTP %ld, element <%s>)", method, status,
                                  (const char *)first->name);
        xmlFreeDoc(doc);
        return rc;
    }
    int rc = check_missing_sets(method, first, fault_name);
    if (rc < 0) {
        xmlFreeDoc(doc);
        return rc;
    }
    out->doc = doc;
    out->result = first;
    return VMHI_OK;
}
