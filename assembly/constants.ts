// Event bits, flags and errno values of the ABI (docs/core-abi.md); Linux's numbers.

@inline export const IN: u32 = 0x1;
@inline export const PRI: u32 = 0x2;
@inline export const OUT: u32 = 0x4;
@inline export const ERR: u32 = 0x8;
@inline export const HUP: u32 = 0x10;
@inline export const NVAL: u32 = 0x20;
@inline export const RDNORM: u32 = 0x40;
@inline export const RDBAND: u32 = 0x80;
@inline export const WRNORM: u32 = 0x100;
@inline export const WRBAND: u32 = 0x200;

@inline export const EXCLUSIVE: u32 = 1 << 28;
@inline export const WAKEUP: u32 = 1 << 29;
@inline export const ONESHOT: u32 = 1 << 30;
@inline export const ET: u32 = 1 << 31;
/** Private: a ONESHOT item that was reported and awaits MOD. Never taken from a caller. */
@inline export const DISARMED: u32 = 1 << 27;

@inline export const LEVEL_BITS: u32 = 0x3fff;
@inline export const EVENT_BITS: u32 = LEVEL_BITS | EXCLUSIVE | WAKEUP | ONESHOT | ET;
/** What EPOLLEXCLUSIVE may be combined with (Linux's EPOLLEXCLUSIVE_OK_BITS). */
@inline export const EXCLUSIVE_OK: u32 = IN | OUT | ERR | HUP | WAKEUP | ET | EXCLUSIVE;
/** What an epoll fd reports when it has events (Linux's ep_eventpoll_poll). */
@inline export const EPOLL_READY: u32 = IN | RDNORM;
/** The key of the wakeup an instance sends upward: EPOLLIN alone (Linux's ep_poll_safewake). */
@inline export const EPOLL_WAKE: u32 = IN;
/** select(2)'s sets, from Linux's fs/select.c. */
@inline export const SELECT_READ: u32 = IN | RDNORM | RDBAND | HUP | ERR;
@inline export const SELECT_WRITE: u32 = OUT | WRNORM | WRBAND | ERR;
@inline export const SELECT_EXCEPT: u32 = PRI;

@inline export const CTL_ADD: i32 = 1;
@inline export const CTL_DEL: i32 = 2;
@inline export const CTL_MOD: i32 = 3;

/** Longest chain of nesting edges: 4 edges, 5 instances (Linux's EP_MAX_NESTS). */
@inline export const MAX_NESTS: i32 = 4;
/** Descriptor numbers are below 2^24. */
@inline export const MAX_FD: i32 = 1 << 24;

@inline export const ENOENT: i32 = 2;
@inline export const EBADF: i32 = 9;
@inline export const ENOMEM: i32 = 12;
@inline export const EEXIST: i32 = 17;
@inline export const EINVAL: i32 = 22;
@inline export const EMFILE: i32 = 24;
@inline export const ELOOP: i32 = 40;
