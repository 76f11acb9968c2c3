/* The public header must compile as strict C99 and link. */
#include <string.h>

#include "watermark.h"

int main(void)
{
	wm_frame frame;
	wm_option_info info;

	memset(&frame, 0, sizeof(frame));
	frame.size = sizeof(frame);
	info.size = sizeof(info);
	if (wm_option_describe(0, &info) != WM_OK)
		return 1;
	return wm_version() == WM_VERSION_NUMBER ? 0 : 1;
}
