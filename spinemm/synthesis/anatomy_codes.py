"""The label codes of a CT template: every structure a real label map
holds, in one small numbering of spinemm's own.

A template (:mod:`spinemm.synthesis.templates`) is a real label map
(TotalSegmentator's 117 classes, or any table of the same names) reduced to
the structures that matter for painting a CT and for telling vertebral
levels apart:

=========  ==============================================================
1-28       vertebrae in VerSe numbering (C1-C7 1-7, T1-T12 8-19, L1-L6
           20-25, sacrum and S1 26, T13 28)
40-47      other bone: sternum, costal cartilage, clavicle, scapula,
           humerus, hip, femur, skull
50-62      soft tissue: lung, airway, heart, arteries, veins, liver,
           spleen, kidney, other organs, bowel, muscle, spinal cord, brain
63         body: inside the skin, no class (fat, connective tissue, what
           the label map does not name); from the template's CT
101-113    left ribs 1-13;  121-133  right ribs 1-13
=========  ==============================================================

Code 0 is outside the body (air). Rib numbers are kept, so a template can
be edited into transitional anatomy (11 or 13 rib pairs) and tests can check
which vertebra a rib meets.
"""
import numpy as np

from ..anatomy import VERSE_LEVELS

BONE = {'sternum': 40, 'costal_cartilages': 41, 'clavicula': 42,
        'scapula': 43, 'humerus': 44, 'hip': 45, 'femur': 46, 'skull': 47}
SOFT = {'lung': 50, 'airway': 51, 'heart': 52, 'artery': 53, 'vein': 54,
        'liver': 55, 'spleen': 56, 'kidney': 57, 'organ': 58, 'bowel': 59,
        'muscle': 60, 'spinal_cord': 61, 'brain': 62}
BODY = 63
SACRUM = 26
LEFT_RIB, RIGHT_RIB = 100, 120

#: TotalSegmentator v2 (task ``total``) class ids -> names
#: (``totalsegmentator/map_to_binary.py``, ``class_map['total']``).
TOTALSEG_V2_NAMES = dict(enumerate([
    'spleen', 'kidney_right', 'kidney_left', 'gallbladder', 'liver',
    'stomach', 'pancreas', 'adrenal_gland_right', 'adrenal_gland_left',
    'lung_upper_lobe_left', 'lung_lower_lobe_left', 'lung_upper_lobe_right',
    'lung_middle_lobe_right', 'lung_lower_lobe_right', 'esophagus',
    'trachea', 'thyroid_gland', 'small_bowel', 'duodenum', 'colon',
    'urinary_bladder', 'prostate', 'kidney_cyst_left', 'kidney_cyst_right',
    'sacrum', 'vertebrae_S1'] +
    ['vertebrae_' + v for v in ['L5', 'L4', 'L3', 'L2', 'L1'] +
     ['T%d' % i for i in range(12, 0, -1)] +
     ['C%d' % i for i in range(7, 0, -1)]] +
    ['heart', 'aorta', 'pulmonary_vein', 'brachiocephalic_trunk',
     'subclavian_artery_right', 'subclavian_artery_left',
     'common_carotid_artery_right', 'common_carotid_artery_left',
     'brachiocephalic_vein_left', 'brachiocephalic_vein_right',
     'atrial_appendage_left', 'superior_vena_cava', 'inferior_vena_cava',
     'portal_vein_and_splenic_vein', 'iliac_artery_left',
     'iliac_artery_right', 'iliac_vena_left', 'iliac_vena_right',
     'humerus_left', 'humerus_right', 'scapula_left', 'scapula_right',
     'clavicula_left', 'clavicula_right', 'femur_left', 'femur_right',
     'hip_left', 'hip_right', 'spinal_cord', 'gluteus_maximus_left',
     'gluteus_maximus_right', 'gluteus_medius_left', 'gluteus_medius_right',
     'gluteus_minimus_left', 'gluteus_minimus_right', 'autochthon_left',
     'autochthon_right', 'iliopsoas_left', 'iliopsoas_right', 'brain',
     'skull'] +
    ['rib_left_%d' % i for i in range(1, 13)] +
    ['rib_right_%d' % i for i in range(1, 13)] +
    ['sternum', 'costal_cartilages'], start=1))

_SOFT_NAMES = {
    'lung': ('lung_',), 'airway': ('trachea',),
    'heart': ('heart', 'atrial_appendage'),
    'artery': ('aorta', 'brachiocephalic_trunk', 'subclavian_artery',
               'common_carotid', 'iliac_artery', 'pulmonary_vein'),
    'vein': ('vena', 'brachiocephalic_vein', 'portal_vein',
             'iliac_vena'),
    'liver': ('liver', 'gallbladder'), 'spleen': ('spleen',),
    'kidney': ('kidney',),
    'organ': ('pancreas', 'adrenal', 'thyroid', 'esophagus', 'stomach',
              'urinary_bladder', 'prostate'),
    'bowel': ('small_bowel', 'duodenum', 'colon'),
    'muscle': ('gluteus', 'autochthon', 'iliopsoas'),
    'spinal_cord': ('spinal_cord',), 'brain': ('brain',)}


def code_of(name):
    """The template code of a TotalSegmentator class name (0: not used)."""
    name = name.strip().lower()
    if name in ('sacrum', 'vertebrae_s1'):
        return SACRUM
    if name.startswith('vertebrae_'):
        level = name[len('vertebrae_'):].upper()
        return next((k for k, v in VERSE_LEVELS.items() if v == level), 0)
    if name.startswith('rib_'):
        _, side, number = name.split('_')
        return (LEFT_RIB if side == 'left' else RIGHT_RIB) + int(number)
    for bone, code in BONE.items():
        if name.startswith(bone):
            return code
    for group, prefixes in _SOFT_NAMES.items():
        if name.startswith(prefixes) or any(p in name for p in prefixes):
            return SOFT[group]
    return 0


def code_table(names=None):
    """``{class id: code}`` for a ``{class id: name}`` table (default
    TotalSegmentator v2)."""
    names = TOTALSEG_V2_NAMES if names is None else names
    return {int(i): code_of(n) for i, n in names.items()}


def to_codes(label_data, names=None):
    """A class-id array -> template codes (uint8); ids absent from the
    table become 0."""
    data = np.asarray(label_data)
    lut = np.zeros(max(int(data.max(initial=0)), 255) + 1, np.uint8)
    for cid, code in code_table(names).items():
        if 0 < cid < lut.size:
            lut[cid] = code
    return lut[data]


def is_vertebra(codes):
    """Vertebra codes (VerSe 1-25 and 28; not the sacrum)."""
    codes = np.asarray(codes)
    return ((codes >= 1) & (codes <= 25)) | (codes == 28)


def is_rib(codes):
    codes = np.asarray(codes)
    return ((codes > LEFT_RIB) & (codes <= LEFT_RIB + 13)) | \
        ((codes > RIGHT_RIB) & (codes <= RIGHT_RIB + 13))


def is_bone(codes):
    """Every code a CT shows as bone (cortical shell, cancellous core)."""
    codes = np.asarray(codes)
    return is_vertebra(codes) | (codes == SACRUM) | is_rib(codes) | \
        ((codes >= 40) & (codes <= 47) & (codes != BONE['costal_cartilages']))


#: the network's classes in ``'anatomy'`` mode: what a CT shows of the
#: spine and of the two cues its levels are counted from. A vertebra's
#: voxels next to another vertebra (across a disc, at a facet joint) are
#: ``vertebra_contact``: without them the vertebrae of a column form one
#: connected mask, and instances could not be told apart.
ANATOMY_CLASSES = ('background', 'vertebra', 'sacrum', 'rib',
                   'vertebra_contact')


def vertebra_contact(codes, spacing=2.0, contact_mm=4.0):
    """Vertebra voxels within ``contact_mm`` (a cube) of another
    vertebra's voxel. 4 mm (a band two 2 mm voxels deep on each side) is
    what the network learns; a one-voxel band was still at Dice 0.008
    after 500 iterations while the vertebrae were at 0.77."""
    from scipy import ndimage
    codes = np.asarray(codes)
    vert = is_vertebra(codes)
    size = 2 * max(1, int(round(contact_mm / spacing))) + 1
    own = np.where(vert, codes, 0)
    high = ndimage.maximum_filter(own, size)
    low = ndimage.minimum_filter(np.where(vert, codes, 255), size)
    return vert & ((high != own) | ((low != own) & (low != 255)))


def anatomy_classes(codes, spacing=2.0, contact_mm=4.0):
    """Template codes -> indices of :data:`ANATOMY_CLASSES` (uint8)."""
    codes = np.asarray(codes)
    out = np.zeros(codes.shape, np.uint8)
    out[is_vertebra(codes)] = 1
    out[codes == SACRUM] = 2
    out[is_rib(codes)] = 3
    out[vertebra_contact(codes, spacing, contact_mm)] = 4
    return out


__all__ = ['BONE', 'SOFT', 'BODY', 'SACRUM', 'LEFT_RIB', 'RIGHT_RIB',
           'TOTALSEG_V2_NAMES', 'code_of', 'code_table', 'to_codes',
           'is_vertebra', 'is_rib', 'is_bone', 'ANATOMY_CLASSES',
           'vertebra_contact', 'anatomy_classes']
