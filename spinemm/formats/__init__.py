from .coco_vertebra import (coco_categories, coco_keypoints, load_coco_json,
                            vertebra_annotation)

__all__ = [
    'coco_categories', 'coco_keypoints', 'load_coco_json', 'vertebra_annotation'
]
