// Does, step by step, what the S3Slower collector does with privileges, and reports which step fails.
// Run under a reduced capability bounding set (measure.sh) to find the minimum the collector unit needs.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "capprobe.skel.h"

#define TRACEFS "/sys/kernel/tracing"
#define TRACEFS_MAGIC_NUMBER 0x74726163
#define BPFFS "/sys/fs/bpf"
#define BPFFS_MAGIC_NUMBER 0xcafe4a11
#define PIN_DIR BPFFS "/s3slower-capprobe"

static int failures;

static void report(const char *step, int err)
{
    if (err) {
        failures++;
        printf("FAIL %-22s %s\n", step, strerror(err < 0 ? -err : err));
    } else {
        printf("ok   %s\n", step);
    }
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list args)
{
    return getenv("CAPPROBE_DEBUG") ? vfprintf(stderr, fmt, args) : 0;
}

static int events_seen;

static int on_event(void *ctx, void *data, size_t size)
{
    events_seen++;
    return 0;
}

int main(int argc, char **argv)
{
    const char *libssl = argc > 1 ? argv[1] : "/usr/lib/x86_64-linux-gnu/libssl.so.3";
    const char *other_pid = argc > 2 ? argv[2] : NULL;
    struct statfs fs;

    libbpf_set_print(silent);
    libbpf_set_strict_mode(LIBBPF_STRICT_ALL);

    if (statfs(TRACEFS, &fs) == 0 && fs.f_type == TRACEFS_MAGIC_NUMBER) {
        report("tracefs (mounted)", 0);
    } else {
        report("mount tracefs", mount("tracefs", TRACEFS, "tracefs", 0, NULL) ? errno : 0);
    }

    if (other_pid) {
        char path[64], buf[256];
        snprintf(path, sizeof path, "/proc/%s/maps", other_pid);
        int fd = open(path, O_RDONLY);
        int err = fd < 0 ? errno : (read(fd, buf, sizeof buf) < 0 ? errno : 0);
        if (fd >= 0)
            close(fd);
        report("read other's maps", err);
    }

    struct capprobe_bpf *skel = capprobe_bpf__open();
    if (!skel) {
        report("open object", errno);
        return 1;
    }
    skel->rodata->target_tgid = getpid();
    int err = capprobe_bpf__load(skel);
    report("load programs/maps", err);
    if (err)
        goto out;

    struct bpf_link *tp = bpf_program__attach(skel->progs.probe_write);
    report("attach tracepoint", tp ? 0 : errno);

    LIBBPF_OPTS(bpf_uprobe_opts, up, .func_name = "SSL_write", .retprobe = false);
    struct bpf_link *u = bpf_program__attach_uprobe_opts(skel->progs.probe_ssl_write, -1, libssl, 0, &up);
    report("attach uprobe", u ? 0 : errno);
    LIBBPF_OPTS(bpf_uprobe_opts, upr, .func_name = "SSL_write", .retprobe = true);
    struct bpf_link *ur = bpf_program__attach_uprobe_opts(skel->progs.probe_ssl_write_ret, -1, libssl, 0, &upr);
    report("attach uretprobe", ur ? 0 : errno);

    struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
    report("ring buffer", rb ? 0 : errno);
    if (rb) {
        for (int i = 0; i < 3; i++)
            write(STDOUT_FILENO, "", 0) , write(STDERR_FILENO, "", 1);
        ring_buffer__poll(rb, 200);
        report("events arrive", events_seen > 0 ? 0 : ENODATA);
        ring_buffer__free(rb);
    }

    /* The collector mounts bpffs when it is missing (no systemd, a container), as it mounts tracefs. */
    if (statfs(BPFFS, &fs) == 0 && fs.f_type == BPFFS_MAGIC_NUMBER) {
        report("bpffs (mounted)", 0);
    } else {
        report("mount bpffs", mount("bpf", BPFFS, "bpf", 0, NULL) ? errno : 0);
    }
    mkdir(PIN_DIR, 0700);
    err = bpf_map__pin(skel->maps.events, PIN_DIR "/events");
    report("pin map", err);
    if (tp) {
        err = bpf_link__pin(tp, PIN_DIR "/link_write");
        report("pin link", err);
        bpf_link__unpin(tp);
    }
    bpf_map__unpin(skel->maps.events, NULL);
    rmdir(PIN_DIR);

    bpf_link__destroy(ur);
    bpf_link__destroy(u);
    bpf_link__destroy(tp);
out:
    capprobe_bpf__destroy(skel);
    printf("%d step(s) failed\n", failures);
    return failures ? 1 : 0;
}
