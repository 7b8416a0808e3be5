/* The limit of the TAP approach: a minimal C forwarder between two TAPs with
 * IFF_VNET_HDR and TSO/CSUM offloads. One thread, poll(2), up to 64 reads per fd per
 * wakeup, each frame written unchanged (vnet header included) to the other TAP.
 * Built on the fly by bench/linux/run.ts; usage: fwd TAP_A TAP_B (prints "ready"). */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int open_tap(const char *name) {
  struct ifreq ifr;
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { perror("open /dev/net/tun"); exit(1); }
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); exit(1); }
  int sz = 10;
  if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) { perror("TUNSETVNETHDRSZ"); exit(1); }
  if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) { perror("TUNSETOFFLOAD"); exit(1); }
  return fd;
}

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  static unsigned char buf[65536 + 64];
  if (argc != 3) { fprintf(stderr, "usage: fwd TAP_A TAP_B\n"); return 2; }
  int fds[2] = { open_tap(argv[1]), open_tap(argv[2]) };
  signal(SIGTERM, on_term);
  printf("ready\n");
  fflush(stdout);
  struct pollfd p[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
  while (!stop) {
    if (poll(p, 2, 500) <= 0) continue;
    for (int i = 0; i < 2; i++) {
      if (!(p[i].revents & POLLIN)) continue;
      for (int k = 0; k < 64; k++) {
        ssize_t n = read(fds[i], buf, sizeof buf);
        if (n <= 0) break;
        (void)!write(fds[1 - i], buf, (size_t)n);
      }
    }
  }
  return 0;
}
