/*
 * The floor of three I/O models, for `make bench-client`: the least code that downloads one URL
 * over N loopback connections
 *   - threaded: a thread per connection, blocking recv into its own buffer of BUFFER bytes;
 *   - epoll: one level-triggered epoll loop, one recv per ready socket into one buffer of BUFFER
 *     bytes (the poll model's shape);
 *   - uring (built where liburing is, `-luring`): one io_uring loop in the uring model's shape:
 *     a multishot recv per connection into a shared pool of URING_BUFFERS buffers of BUFFER bytes
 *     (at most 1 MiB), task work deferred to the wait, which waits for up to URING_BATCH
 *     completions. Its pool is a registered buffer ring (Linux 5.19), the least code there is:
 *     buffers go back by a store, not a submission. A receive the pool could not serve ends; it
 *     is armed again, and counted (`rearmed=`).
 * counting bytes to EOF, as the models do. Nothing is timed but the whole run; no phase, no
 * parser, no per-job record.
 *
 * Beside the models it tells how much of a model's cost is the model's own (this floor has it
 * too) and how much is bench-overhead's bookkeeping (the floor has none).
 *
 *   floor threaded|epoll|uring PORT PATH CONNECTIONS BUFFER
 *
 * prints `bytes=B wall_ns=W cpu_user_s=U cpu_sys_s=S` (uring: and `rearmed=R`); on any error one
 * line on stderr and exit 1 (3: the kernel refuses io_uring). Every wait is bounded: each socket
 * has 30 s send and receive timeouts (a blocking connect too, on Linux), and a loop gives up
 * after 30 s without an event. Linux only (epoll, io_uring). The bytes counted include the
 * response heads (HTTP/1.0: the server closes after the body).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#if __has_include(<liburing.h>)
#include <liburing.h>
#define FLOOR_URING 1
#endif

enum { TIMEOUT_S = 30, URING_BUFFERS = 16, URING_BUFFER_MAX = 1 << 20, URING_BATCH = 4 };

static int port;
static size_t buffer_size;
static char request[1024];
static long long total;
static pthread_mutex_t total_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *what) {
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A connected socket to 127.0.0.1:port; non-blocking ones are connected once writable. */
static int open_socket(int nonblocking) {
    int fd = socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) fail("socket");
    struct timeval timeout = {.tv_sec = TIMEOUT_S};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout))
        fail("setsockopt");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) && errno != EINPROGRESS)
        fail("connect");
    return fd;
}

static void count(long long bytes) {
    pthread_mutex_lock(&total_lock);
    total += bytes;
    pthread_mutex_unlock(&total_lock);
}

static void *download(void *unused) {
    (void)unused;
    char *buffer = malloc(buffer_size);
    if (!buffer) fail("malloc");
    int fd = open_socket(0);
    if (send(fd, request, strlen(request), 0) != (ssize_t)strlen(request)) fail("send");
    long long bytes = 0;
    ssize_t got;
    while ((got = recv(fd, buffer, buffer_size, 0)) > 0) bytes += got;
    if (got < 0 && errno == EAGAIN) errno = ETIMEDOUT; /* SO_RCVTIMEO ran out */
    if (got < 0) fail("recv");
    close(fd);
    free(buffer);
    count(bytes);
    return NULL;
}

static void threaded(int connections) {
    pthread_t *threads = calloc(connections, sizeof *threads);
    pthread_attr_t attributes;
    if (!threads || pthread_attr_init(&attributes) ||
        pthread_attr_setstacksize(&attributes, 256 * 1024))
        fail("thread attributes");
    for (int i = 0; i < connections; i++)
        if ((errno = pthread_create(&threads[i], &attributes, download, NULL))) fail("thread");
    for (int i = 0; i < connections; i++) pthread_join(threads[i], NULL);
    free(threads);
}

static void epoll_loop(int connections) {
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    char *buffer = malloc(buffer_size);
    if (epoll < 0 || !buffer) fail("epoll_create1");
    for (int i = 0; i < connections; i++) {
        /* data.u64: the descriptor, and bit 32 once the request is sent. */
        int fd = open_socket(1);
        struct epoll_event event = {.events = EPOLLOUT, .data.u64 = (unsigned)fd};
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)) fail("epoll_ctl");
    }
    struct epoll_event events[256];
    for (int open = connections; open > 0;) {
        int ready = epoll_wait(epoll, events, 256, TIMEOUT_S * 1000);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) fail("epoll_wait");
        if (ready == 0) {
            errno = ETIMEDOUT;
            fail("no event");
        }
        for (int i = 0; i < ready; i++) {
            int fd = (int)(events[i].data.u64 & 0xffffffffu);
            if (!(events[i].data.u64 >> 32)) {
                if (send(fd, request, strlen(request), 0) != (ssize_t)strlen(request)) fail("send");
                struct epoll_event event = {.events = EPOLLIN, .data.u64 = (1ull << 32) | (unsigned)fd};
                if (epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)) fail("epoll_ctl");
                continue;
            }
            ssize_t got = recv(fd, buffer, buffer_size, 0);
            if (got > 0) {
                total += got;
            } else if (got == 0) {
                close(fd);
                open--;
            } else if (errno != EAGAIN && errno != EINTR) {
                fail("recv");
            }
        }
    }
    close(epoll);
    free(buffer);
}

#ifdef FLOOR_URING
static void uring_fail(const char *what, int err) {
    errno = err;
    fail(what);
}

/* A multishot receive of `fd` from the pool; user_data is the descriptor. */
static void uring_recv(struct io_uring *ring, int fd) {
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) uring_fail("io_uring_get_sqe", EBUSY);
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data64(sqe, (unsigned)fd);
}

static long long rearmed;

static void uring_loop(int connections) {
    struct io_uring ring;
    struct io_uring_params params = {
        .flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN};
    int err = io_uring_queue_init_params(connections + 64, &ring, &params);
    if (err) {
        /* As the uring model does where the kernel refuses io_uring: skipped, said in one line. */
        fprintf(stderr, "floor: this kernel refuses io_uring (%s): floor:uring is skipped\n", strerror(-err));
        exit(3);
    }
    size_t size = buffer_size < URING_BUFFER_MAX ? buffer_size : URING_BUFFER_MAX;
    char *pool = malloc(size * URING_BUFFERS);
    struct io_uring_buf_ring *buffers =
        mmap(NULL, URING_BUFFERS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
             MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (!pool || buffers == MAP_FAILED) fail("buffer pool");
    struct io_uring_buf_reg registration = {
        .ring_addr = (unsigned long)buffers, .ring_entries = URING_BUFFERS, .bgid = 0};
    if ((err = io_uring_register_buf_ring(&ring, &registration, 0)))
        uring_fail("io_uring_register_buf_ring", -err);
    io_uring_buf_ring_init(buffers);
    int mask = io_uring_buf_ring_mask(URING_BUFFERS);
    for (int id = 0; id < URING_BUFFERS; id++)
        io_uring_buf_ring_add(buffers, pool + (size_t)id * size, size, id, mask, id);
    io_uring_buf_ring_advance(buffers, URING_BUFFERS);
    for (int i = 0; i < connections; i++) {
        int fd = open_socket(0);
        if (send(fd, request, strlen(request), 0) != (ssize_t)strlen(request)) fail("send");
        uring_recv(&ring, fd);
    }
    for (int open = connections; open > 0;) {
        struct io_uring_cqe *cqe;
        struct __kernel_timespec timeout = {.tv_sec = TIMEOUT_S};
        err = io_uring_submit_and_wait_timeout(&ring, &cqe, open < URING_BATCH ? open : URING_BATCH,
                                               &timeout, NULL);
        if (err == -ETIME && !io_uring_cq_ready(&ring)) uring_fail("no completion", ETIMEDOUT);
        if (err < 0 && err != -ETIME && err != -EINTR) uring_fail("io_uring_enter", -err);
        unsigned head, seen = 0, returned = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            int fd = (int)cqe->user_data;
            if (cqe->flags & IORING_CQE_F_BUFFER) {
                int id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
                io_uring_buf_ring_add(buffers, pool + (size_t)id * size, size, id, mask, returned++);
            }
            if (cqe->res > 0) {
                total += cqe->res;
            } else if (cqe->res == 0) {
                close(fd);
                open--;
                continue;
            } else if (cqe->res == -ENOBUFS) {
                rearmed++;
            } else {
                uring_fail("recv", -cqe->res);
            }
            if (!(cqe->flags & IORING_CQE_F_MORE)) uring_recv(&ring, fd);
        }
        io_uring_buf_ring_advance(buffers, returned);
        io_uring_cq_advance(&ring, seen);
    }
    io_uring_queue_exit(&ring);
    free(pool);
}
#endif

int main(int argc, char **argv) {
#ifdef FLOOR_URING
    int uring = argc > 1 && !strcmp(argv[1], "uring");
#else
    int uring = 0;
#endif
    if (argc != 6 || (strcmp(argv[1], "threaded") && strcmp(argv[1], "epoll") && !uring)) {
#ifdef FLOOR_URING
        fprintf(stderr, "usage: floor threaded|epoll|uring PORT PATH CONNECTIONS BUFFER\n");
#else
        fprintf(stderr, "usage: floor threaded|epoll PORT PATH CONNECTIONS BUFFER (built without liburing: no uring)\n");
#endif
        return 2;
    }
    port = atoi(argv[2]);
    int connections = atoi(argv[4]);
    buffer_size = strtoul(argv[5], NULL, 10);
    if (port <= 0 || port > 65535 || connections <= 0 || buffer_size == 0 ||
        snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", argv[3]) >=
            (int)sizeof request) {
        fprintf(stderr, "floor: PORT, CONNECTIONS and BUFFER must be positive numbers\n");
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (!strcmp(argv[1], "threaded"))
        threaded(connections);
#ifdef FLOOR_URING
    else if (uring)
        uring_loop(connections);
#endif
    else
        epoll_loop(connections);
    clock_gettime(CLOCK_MONOTONIC, &end);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("bytes=%lld wall_ns=%lld cpu_user_s=%.6f cpu_sys_s=%.6f", total,
           (end.tv_sec - start.tv_sec) * 1000000000ll + (end.tv_nsec - start.tv_nsec),
           usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
           usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6);
#ifdef FLOOR_URING
    if (uring) printf(" rearmed=%lld", rearmed);
#endif
    printf("\n");
    return 0;
}
