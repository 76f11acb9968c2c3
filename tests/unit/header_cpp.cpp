// The public header must compile as C++ and link.
#include <cstring>

#include "watermark.h"

int main()
{
	wm_mark *mark = nullptr;
	if (wm_mark_new(&mark) != WM_OK)
		return 1;
	wm_status s = wm_mark_set(mark, "opacity", "0.5");
	wm_mark_free(mark);
	return s == WM_OK && std::strcmp(wm_version_string(), WM_VERSION_STRING) == 0 ? 0 : 1;
}
