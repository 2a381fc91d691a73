/*
 * libFuzzer target: one QMP message line (qmp_codec.c) - greetings,
 * replies, errors and events as QEMU sends them.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Whatever the bytes, parsing never fails and classifies them; what it
 * classifies has the fields its kind promises (kvm.h: qmp_msg).
 */
#include "fuzz_kvm_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qmp_msg msg;
    qmp_codec_parse((const char *)data, size, &msg);
    switch (msg.kind) {
    case QMP_MSG_INVALID:
        /* An object of no known shape keeps its root: the caller clears it. */
        FUZZ_CHECK(!msg.event && !msg.err_class && !msg.has_id);
        break;
    case QMP_MSG_GREETING:
    case QMP_MSG_RETURN:
        FUZZ_CHECK(msg.root && msg.value);
        break;
    case QMP_MSG_ERROR:
        FUZZ_CHECK(msg.root && msg.err_class && msg.err_desc);
        FUZZ_CHECK(qmp_codec_error_code(msg.err_class) < 0);
        break;
    case QMP_MSG_EVENT:
        FUZZ_CHECK(msg.root && msg.event && !msg.has_id);
        break;
    default:
        abort();
    }
    qmp_msg_clear(&msg);
    FUZZ_CHECK(!msg.root && msg.kind == QMP_MSG_INVALID);
    return 0;
}
