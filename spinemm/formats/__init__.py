from .coco_vertebra import (coco_categories, coco_keypoints, load_coco_json,
                            vertebra_annotation)
from .image_label_pairs import (label_value_set, pair_by_stem, read_image,
                                read_label_map)
from .verse import (LEVEL_TO_VERSE, VERSE_LEVELS, centroids_to_world,
                    index_verse, read_verse_centroids, verse_folder_names,
                    write_verse_centroids)

__all__ = [
    'coco_categories', 'coco_keypoints', 'load_coco_json',
    'vertebra_annotation', 'LEVEL_TO_VERSE', 'VERSE_LEVELS',
    'centroids_to_world', 'index_verse', 'read_verse_centroids',
    'verse_folder_names', 'write_verse_centroids', 'label_value_set',
    'pair_by_stem', 'read_image', 'read_label_map'
]
