"""Checks on the pipelines datasets are built with."""


def check_first_transform(pipeline, loader, dataset):
    """A ValueError naming ``dataset`` unless ``pipeline`` (a list of
    transform configs or objects) starts with ``loader`` (a type name such
    as ``'spinemm.LoadVerseSlice'``): the dataset's items hold metadata
    only, so without the loader no step would have pixels to work on."""
    steps = list(pipeline or [])
    first = steps[0] if steps else None
    name = first.get('type') if isinstance(first, dict) else \
        type(first).__name__ if first is not None else None
    if not isinstance(name, str):
        name = getattr(name, '__name__', str(name))
    short = loader.split('.')[-1]
    if name is None or name.split('.')[-1] != short:
        raise ValueError(
            f'{dataset}: the pipeline must start with '
            f"dict(type='{loader}') (the dataset holds metadata only; that "
            f'transform loads the pixels), but it starts with {name}')
