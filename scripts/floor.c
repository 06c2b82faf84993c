/*
 * The floor of two I/O models, for `make bench-client`: the least code that downloads one URL
 * over N loopback connections with a thread per connection (blocking recv) or with one epoll
 * loop (level-triggered, one recv per ready socket, the poll model's shape), counting bytes to
 * EOF into one buffer of BUFFER bytes per thread (threaded) or in all (epoll), as the models do.
 * Nothing is timed but the whole run; no phase, no parser, no per-job record.
 *
 * Beside the models it tells how much of a model's cost is the model's own (this floor has it
 * too) and how much is bench-overhead's bookkeeping (the floor has none).
 *
 *   floor threaded|epoll PORT PATH CONNECTIONS BUFFER
 *
 * prints `bytes=B wall_ns=W cpu_user_s=U cpu_sys_s=S`; on any error one line on stderr and exit
 * 1. Every wait is bounded: each socket has 30 s send and receive timeouts (a blocking connect
 * too, on Linux), and the loop gives up after 30 s without an event. Linux only (epoll).
 * The bytes counted include the response heads (HTTP/1.0: the server closes after the body).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { TIMEOUT_S = 30 };

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

int main(int argc, char **argv) {
    if (argc != 6 || (strcmp(argv[1], "threaded") && strcmp(argv[1], "epoll"))) {
        fprintf(stderr, "usage: floor threaded|epoll PORT PATH CONNECTIONS BUFFER\n");
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
    else
        epoll_loop(connections);
    clock_gettime(CLOCK_MONOTONIC, &end);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("bytes=%lld wall_ns=%lld cpu_user_s=%.6f cpu_sys_s=%.6f\n", total,
           (end.tv_sec - start.tv_sec) * 1000000000ll + (end.tv_nsec - start.tv_nsec),
           usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
           usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6);
    return 0;
}
