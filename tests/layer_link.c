/*
 * layer_link.c - the main() of the link checks vt-layer-LAYER (meson.build):
 * each links the whole of one layer's library against the layers below it
 * only, so a reference up a layer is an undefined symbol.  Never run.
 */
int main(void);

int
main(void)
{
	return (0);
}
