/* libsrtp's per-session stream list (its stream_list_priv.h) as an open-addressing hash table
 * keyed by SSRC, in place of libsrtp's linked list. libsrtp looks a stream up on every protect
 * and unprotect; a bridge's session towards one receiver holds a stream for every SSRC it
 * forwards (audio, video and RTX of every sender: hundreds in a large room), so a list walk per
 * packet grows with the room. libsrtp is built with SRTP_NO_STREAM_LIST, which drops its own
 * list and leaves these six functions to the application (libsrtp 2.5's documented hook).
 *
 * C, not C++: it implements a C interface over libsrtp's private types. */
#include <stdint.h>
#include <stdlib.h>

#include "srtp_priv.h"
#include "stream_list_priv.h"

/* A removed stream leaves a tombstone, so that a probe sequence stays unbroken and removing the
 * current element while iterating (allowed by the interface) does not move others. */
#define TOMBSTONE ((srtp_stream_t)(uintptr_t)1)
#define INITIAL_CAPACITY 16

struct srtp_stream_list_ctx_t_ {
  srtp_stream_t* slots; /* NULL: never used; TOMBSTONE: removed */
  size_t capacity;      /* a power of two */
  size_t size;          /* streams in the table */
  size_t used;          /* streams plus tombstones */
};

static size_t home_slot(uint32_t ssrc, size_t capacity) {
  /* Fibonacci hashing spreads sequential and random SSRCs alike. */
  return (size_t)((ssrc * UINT32_C(2654435769)) >> 7) & (capacity - 1);
}

static srtp_err_status_t resize(srtp_stream_list_t list, size_t capacity) {
  srtp_stream_t* slots = calloc(capacity, sizeof(srtp_stream_t));
  if (slots == NULL) {
    return srtp_err_status_alloc_fail;
  }
  for (size_t i = 0; i < list->capacity; ++i) {
    srtp_stream_t stream = list->slots[i];
    if (stream == NULL || stream == TOMBSTONE) {
      continue;
    }
    size_t j = home_slot(stream->ssrc, capacity);
    while (slots[j] != NULL) {
      j = (j + 1) & (capacity - 1);
    }
    slots[j] = stream;
  }
  free(list->slots);
  list->slots = slots;
  list->capacity = capacity;
  list->used = list->size;
  return srtp_err_status_ok;
}

srtp_err_status_t srtp_stream_list_alloc(srtp_stream_list_t* list_ptr) {
  srtp_stream_list_t list = calloc(1, sizeof(*list));
  if (list == NULL) {
    return srtp_err_status_alloc_fail;
  }
  list->slots = calloc(INITIAL_CAPACITY, sizeof(srtp_stream_t));
  if (list->slots == NULL) {
    free(list);
    return srtp_err_status_alloc_fail;
  }
  list->capacity = INITIAL_CAPACITY;
  *list_ptr = list;
  return srtp_err_status_ok;
}

srtp_err_status_t srtp_stream_list_dealloc(srtp_stream_list_t list) {
  if (list->size != 0) {
    return srtp_err_status_fail;
  }
  free(list->slots);
  free(list);
  return srtp_err_status_ok;
}

srtp_err_status_t srtp_stream_list_insert(srtp_stream_list_t list, srtp_stream_t stream) {
  /* At most 3/4 full counting tombstones; grow only when the streams themselves need it. */
  if ((list->used + 1) * 4 > list->capacity * 3) {
    size_t capacity = (list->size + 1) * 2 > list->capacity ? list->capacity * 2 : list->capacity;
    srtp_err_status_t status = resize(list, capacity);
    if (status != srtp_err_status_ok) {
      return status;
    }
  }
  size_t i = home_slot(stream->ssrc, list->capacity);
  while (list->slots[i] != NULL && list->slots[i] != TOMBSTONE) {
    i = (i + 1) & (list->capacity - 1);
  }
  if (list->slots[i] == NULL) {
    ++list->used;
  }
  list->slots[i] = stream;
  ++list->size;
  return srtp_err_status_ok;
}

srtp_stream_t srtp_stream_list_get(srtp_stream_list_t list, uint32_t ssrc) {
  size_t i = home_slot(ssrc, list->capacity);
  for (srtp_stream_t stream; (stream = list->slots[i]) != NULL; i = (i + 1) & (list->capacity - 1)) {
    if (stream != TOMBSTONE && stream->ssrc == ssrc) {
      return stream;
    }
  }
  return NULL;
}

void srtp_stream_list_remove(srtp_stream_list_t list, srtp_stream_t stream) {
  size_t i = home_slot(stream->ssrc, list->capacity);
  for (srtp_stream_t s; (s = list->slots[i]) != NULL; i = (i + 1) & (list->capacity - 1)) {
    if (s == stream) {
      list->slots[i] = TOMBSTONE;
      --list->size;
      return;
    }
  }
}

void srtp_stream_list_for_each(srtp_stream_list_t list, int (*callback)(srtp_stream_t, void*), void* data) {
  for (size_t i = 0; i < list->capacity; ++i) {
    srtp_stream_t stream = list->slots[i];
    if (stream != NULL && stream != TOMBSTONE && callback(stream, data) != 0) {
      return;
    }
  }
}
