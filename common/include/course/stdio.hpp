// Standard descriptors a program can count on. Not a lesson of its own: every client
// needs it once, at the top of main.
#pragma once

namespace course {

// Opens /dev/null on each of fds 0, 1 and 2 that is closed.
//
// Why: the kernel gives a new socket (or Asio's internal eventfd) the lowest free
// descriptor. Started with stdin closed (`client <&-`), a program's first socket would
// *be* fd 0, and code that reads "stdin" would read its own socket. With /dev/null there,
// a closed stdin reads as end of input, which is what it means. Call it first in main,
// before anything opens a descriptor.
void open_missing_standard_descriptors();

}  // namespace course
