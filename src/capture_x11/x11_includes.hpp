#pragma once
// The one place the X headers come in. Xlib #defines `Status` (and `Bool`, `None`, `True`…) as
// macros; `Status` would turn periscope::Status into `periscope::int`, so it is undefined
// here, after every X prototype that uses it has been read. Include this, never <X11/…>.
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XInput2.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/Xdamage.h>
#include <X11/extensions/Xfixes.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#undef Status
