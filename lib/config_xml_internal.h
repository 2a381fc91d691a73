/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the XML codec's files: config_xml.c parses and validates the
 * document, config_xml_read.c turns the tree into a vmhi_vm_config.
 */
#ifndef VMHI_CONFIG_XML_INTERNAL_H
#define VMHI_CONFIG_XML_INTERNAL_H

#include <libxml/tree.h>

#include "config_internal.h"

/* The namespace of every element of the XML form (spec/vmhi-vm.rng). */
#define VMHI__XML_NS "urn:vmhi:vm:1"

/* The document text the tree was parsed from, to turn the byte offsets the
 * parser records in each element's _private into line and column. */
typedef struct vmhi__xml_source {
    const char *text;
    size_t len;
} vmhi__xml_source;

/* Where @node starts in the document (line 0 = unknown). */
void vmhi__xml_node_location(const vmhi__xml_source *src, const xmlNode *node, unsigned *line,
                             unsigned *column);

/* Builds a config from a parsed document, checking every rule of the XML
 * form with located VMHI_E_PARSE errors.  Safe on any tree, valid or not. */
int vmhi__xml_read_config(const vmhi__xml_source *src, xmlDoc *doc, vmhi_vm_config **out);

#endif /* VMHI_CONFIG_XML_INTERNAL_H */
