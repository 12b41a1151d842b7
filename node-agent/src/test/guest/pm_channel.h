/*
 * pm_channel.h: messages between processes through the agent's `pm` host module.
 *
 * Every function returns a WASI errno (0 on success). Messages to one process arrive in the order
 * sent, exactly once, wherever either process runs (also across migrations).
 *
 *   pm_send(to, data, len)  to = "<process-id>" or "<process-id>/<mailbox>" (split at the last '/').
 *                           Queues the message and returns at once. EAGAIN: outbox full (1024
 *                           messages or 4 MiB unacknowledged), try later; EMSGSIZE: over 1 MiB;
 *                           EINVAL: no process id. An unknown receiver is not an error: the
 *                           message waits until the process exists.
 *   pm_recv(box, buf, cap, &len, from, from_cap, &from_len)
 *                           The oldest message of own mailbox `box` ("" = default); blocks (the
 *                           process parks, holding no thread) while it is empty. E2BIG: the
 *                           payload or the sender's id does not fit; len and from_len say what is
 *                           needed and the message stays queued.
 *   pm_try_recv(...)        The same, but EAGAIN instead of blocking.
 */
#ifndef PM_CHANNEL_H
#define PM_CHANNEL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PM_IMPORT(name) __attribute__((import_module("pm"), import_name(name)))

PM_IMPORT("send") int32_t __pm_send(const char *to, size_t to_len, const void *data, size_t len);
PM_IMPORT("recv") int32_t __pm_recv(const char *box, size_t box_len, void *buf, size_t cap, size_t *len,
                                     char *from, size_t from_cap, size_t *from_len);
PM_IMPORT("try_recv") int32_t __pm_try_recv(const char *box, size_t box_len, void *buf, size_t cap, size_t *len,
                                             char *from, size_t from_cap, size_t *from_len);

static inline int pm_send(const char *to, const void *data, size_t len) {
    return __pm_send(to, strlen(to), data, len);
}

static inline int pm_recv(const char *box, void *buf, size_t cap, size_t *len, char *from, size_t from_cap, size_t *from_len) {
    return __pm_recv(box, strlen(box), buf, cap, len, from, from_cap, from_len);
}

static inline int pm_try_recv(const char *box, void *buf, size_t cap, size_t *len, char *from, size_t from_cap,
                              size_t *from_len) {
    return __pm_try_recv(box, strlen(box), buf, cap, len, from, from_cap, from_len);
}

#endif
