/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Parsing the XML form: libxml2 with no network, no DTD (a DOCTYPE stops
 * the parser, so no entities and no external references), a size limit,
 * the compiled-in RELAX NG schema, and errors routed to the VMHI last
 * error with line and column instead of stderr.
 *
 * libxml2 records only line numbers in the tree, so a SAX hook stores the
 * byte offset of each start tag in the element's _private field; errors
 * then report the exact line and column of the element's '<'.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "config_xml_internal.h"

/* spec/vmhi-vm.rng, embedded by lib/CMakeLists.txt. */
extern const char vmhi__schema_rng[];
extern const size_t vmhi__schema_rng_len;

/* Never XML_PARSE_NOENT or XML_PARSE_DTDLOAD: no entity expansion, no
 * external subset.  IGNORE_ENC: the form is UTF-8 whatever it declares. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_IGNORE_ENC)

/* What one parse found: the first error, and where. */
typedef struct parse_state {
    vmhi__xml_source src;
    bool has_error;
    bool out_of_memory;
    bool doctype;
    unsigned line;
    unsigned column;
    char element[72];
    char message[400];
} parse_state;

/* ---- locations ---------------------------------------------------------- */

static bool is_name_start(char c)
{
    return c != '/' && c != '!' && c != '?' && c != '<' && c != '>' && c != ' ' && c != '\t' &&
           c != '\n' && c != '\r' && c != '\0';
}

/* Finds the '<' that opens the markup ending before byte @end.  Attribute
 * values cannot hold a literal '<', so the nearest one is it. */
static bool find_markup_start(const vmhi__xml_source *src, size_t end, bool element,
                              size_t *start)
{
    if (end > src->len)
        end = src->len;
    for (size_t i = end; i-- > 0;) {
        if (src->text[i] != '<')
            continue;
        if (i + 1 >= src->len)
            return false;
        char next = src->text[i + 1];
        if (element ? !is_name_start(next) : next != '!')
            return false;
        *start = i;
        return true;
    }
    return false;
}

static size_t parser_offset(const xmlParserCtxt *ctxt)
{
    const xmlParserInput *in = ctxt->input;
    return (size_t)in->consumed + (size_t)(in->cur - in->base);
}

void vmhi__xml_node_location(const vmhi__xml_source *src, const xmlNode *node, unsigned *line,
                             unsigned *column)
{
    uintptr_t stored = node && node->type == XML_ELEMENT_NODE ? (uintptr_t)node->_private : 0;
    if (stored != 0) {
        vmhi__text_location(src->text, src->len, (size_t)(stored - 1), line, column);
        return;
    }
    long l = node ? xmlGetLineNo(node) : -1;
    *line = l > 0 ? (unsigned)l : 0;
    *column = 0;
}

/* ---- error capture -------------------------------------------------------- */

static void ignore_generic(void *ctx, const char *msg, ...)
{
}

static void ignore_structured(void *ctx, xmlErrorPtr err)
{
}

/* libxml2's fallback handlers print to stderr; a library must not.  They
 * are per-thread in libxml2, so swapping them for the call is safe. */
typedef struct saved_handlers {
    xmlGenericErrorFunc generic;
    void *generic_ctx;
    xmlStructuredErrorFunc structured;
    void *structured_ctx;
} saved_handlers;

static void silence_libxml(saved_handlers *saved)
{
    saved->generic = xmlGenericError;
    saved->generic_ctx = xmlGenericErrorContext;
    saved->structured = xmlStructuredError;
    saved->structured_ctx = xmlStructuredErrorContext;
    xmlSetGenericErrorFunc(NULL, ignore_generic);
    xmlSetStructuredErrorFunc(NULL, ignore_structured);
}

static void restore_libxml(const saved_handlers *saved)
{
    xmlSetGenericErrorFunc(saved->generic_ctx, saved->generic);
    xmlSetStructuredErrorFunc(saved->structured_ctx, saved->structured);
}

static void record_error(parse_state *st, unsigned line, unsigned column, const xmlChar *element,
                         const char *message)
{
    if (st->has_error)
        return;
    st->has_error = true;
    st->line = line;
    st->column = column;
    vmhi__strlcpy(st->element, element ? (const char *)element : "", sizeof(st->element));
    vmhi__strlcpy(st->message, message ? message : "unknown error", sizeof(st->message));
    size_t len = strlen(st->message);
    while (len > 0 && (st->message[len - 1] == '\n' || st->message[len - 1] == ' '))
        st->message[--len] = '\0';
}

static void on_parse_error(void *user_data, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = user_data;
    parse_state *st = ctxt->_private;
    if (err->code == XML_ERR_NO_MEMORY)
        st->out_of_memory = true;
    if (err->level < XML_ERR_ERROR)
        return;
    record_error(st, err->line > 0 ? (unsigned)err->line : 0,
                 err->int2 > 0 ? (unsigned)err->int2 : 0, ctxt->node ? ctxt->node->name : NULL,
                 err->message);
}

static void on_schema_error(void *user_data, xmlErrorPtr err)
{
    parse_state *st = user_data;
    if (err->code == XML_ERR_NO_MEMORY)
        st->out_of_memory = true;
    if (err->level < XML_ERR_ERROR)
        return;
    const xmlNode *node = err->node;
    if (node && node->type != XML_ELEMENT_NODE)
        node = node->parent;
    unsigned line = err->line > 0 ? (unsigned)err->line : 0, column = 0;
    if (node && node->type == XML_ELEMENT_NODE)
        vmhi__xml_node_location(&st->src, node, &line, &column);
    bool named = node && node->type == XML_ELEMENT_NODE;
    record_error(st, line, column, named ? node->name : NULL, err->message);
}

/* Turns the recorded error into the VMHI last error; @kind (may be NULL)
 * says which stage found it. */
static int report(const parse_state *st, const char *kind)
{
    if (st->out_of_memory)
        return vmhi__error_oom();
    char where[160] = "";
    if (st->line)
        snprintf(where, sizeof(where), "line %u, column %u: ", st->line, st->column);
    if (st->element[0])
        return vmhi__error_parse(st->line, st->column, "%selement <%.64s>: %s: %s", where,
                                 st->element, kind, st->message);
    if (!kind)
        return vmhi__error_parse(st->line, st->column, "%s%s", where, st->message);
    return vmhi__error_parse(st->line, st->column, "%s%s: %s", where, kind, st->message);
}

/* ---- SAX hooks ------------------------------------------------------------ */

static void on_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                             const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                             int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
                          nb_defaulted, attributes);
    size_t start;
    if (ctxt->node && ctxt->inputNr == 1 && xmlStrEqual(ctxt->node->name, localname) &&
        find_markup_start(&st->src, parser_offset(ctxt), true, &start))
        ctxt->node->_private = (void *)(uintptr_t)(start + 1);
}

/* A DOCTYPE is where entities and external references come from; a VM
 * description needs neither, so the parse stops right there. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;
    size_t start = 0;
    unsigned line = 0, column = 0;
    if (find_markup_start(&st->src, parser_offset(ctxt), false, &start))
        vmhi__text_location(st->src.text, st->src.len, start, &line, &column);
    st->doctype = true;
    st->has_error = false;
    record_error(st, line, column, NULL,
                 "DOCTYPE declarations are not allowed (no DTD, no entities)");
    xmlStopParser(ctxt);
}

static int parse_document(parse_state *st, xmlDocPtr *out)
{
    *out = NULL;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return vmhi__error_oom();
    ctxt->_private = st;
    ctxt->sax->startElementNs = on_start_element;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->serror = on_parse_error;
    ctxt->sax->warning = ignore_generic; /* only reached if serror is bypassed */
    ctxt->sax->error = ignore_generic;
    ctxt->sax->fatalError = ignore_generic;
    ctxt->vctxt.error = ignore_generic;
    ctxt->vctxt.warning = ignore_generic;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, st->src.text, (int)st->src.len, NULL, "UTF-8",
                                      PARSE_OPTIONS);
    xmlFreeParserCtxt(ctxt);
    if (doc && !st->has_error && !st->out_of_memory) {
        *out = doc;
        return VMHI_OK;
    }
    xmlFreeDoc(doc);
    if (!st->has_error && !st->out_of_memory)
        st->out_of_memory = true; /* no document and no error: libxml2 ran out */
    return report(st, st->doctype ? NULL : "XML syntax error");
}

/* ---- the schema ------------------------------------------------------------ */

static pthread_once_t libxml_once = PTHREAD_ONCE_INIT;
/* Guards the compiled schema.  Validation also runs under it: libxml2 does
 * not promise that one compiled RELAX NG grammar may validate in several
 * threads at once, and a VM description validates in well under 1 ms. */
static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static xmlRelaxNGPtr schema;

static void init_libxml(void)
{
    xmlInitParser();
}

static int compile_schema_locked(void)
{
    if (schema)
        return VMHI_OK;
    xmlRelaxNGParserCtxtPtr pctxt =
        xmlRelaxNGNewMemParserCtxt(vmhi__schema_rng, (int)vmhi__schema_rng_len);
    if (!pctxt)
        return vmhi__error_oom();
    xmlRelaxNGSetParserStructuredErrors(pctxt, ignore_structured, NULL);
    schema = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
    if (!schema)
        return vmhi__error(VMHI_E_INTERNAL,
                           "the built-in RELAX NG schema (spec/vmhi-vm.rng) failed to compile");
    return VMHI_OK;
}

/* Validates @doc; a mismatch is recorded in @st, not returned. */
static int validate_schema(xmlDocPtr doc, parse_state *st)
{
    pthread_mutex_lock(&schema_lock);
    int rc = compile_schema_locked();
    if (rc == 0) {
        xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(schema);
        if (vctxt) {
            xmlRelaxNGSetValidStructuredErrors(vctxt, on_schema_error, st);
            int result = xmlRelaxNGValidateDoc(vctxt, doc);
            if (result != 0)
                record_error(st, 0, 0, NULL, "the document does not match the schema");
            xmlRelaxNGFreeValidCtxt(vctxt);
        } else {
            rc = vmhi__error_oom();
        }
    }
    pthread_mutex_unlock(&schema_lock);
    return rc;
}

/* ---- entry point ------------------------------------------------------------ */

int vmhi_vm_config_from_xml(vmhi_vm_config **out, const char *xml, size_t len)
{
    vmhi__error_reset();
    if (!out)
        return vmhi__error(VMHI_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!xml)
        return vmhi__error(VMHI_E_INVALID_ARG, "XML document is NULL");
    if (len > VMHI__CONFIG_DOC_MAX)
        return vmhi__error(VMHI_E_LIMIT, "XML document is %zu bytes; at most %u are accepted",
                           len, VMHI__CONFIG_DOC_MAX);
    pthread_once(&libxml_once, init_libxml);
    size_t bom = vmhi__text_bom_length(xml, len);
    parse_state st = { .src = { .text = xml + bom, .len = len - bom } };
    saved_handlers saved;
    silence_libxml(&saved);
    xmlDocPtr doc;
    int rc = parse_document(&st, &doc);
    if (rc == 0)
        rc = validate_schema(doc, &st);
    if (rc == 0) {
        /* The reader's own messages are more precise than the validator's,
         * so when both object, the reader's error wins. */
        rc = vmhi__xml_read_config(&st.src, doc, out);
        if (rc == 0 && st.has_error) {
            vmhi_vm_config_free(*out);
            *out = NULL;
            rc = report(&st, "schema violation");
        }
    }
    xmlFreeDoc(doc);
    restore_libxml(&saved);
    return rc;
}
