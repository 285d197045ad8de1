"""CTs synthesised from real label maps (domain randomisation, after
SynthSeg: Billot et al., Medical Image Analysis 2023).

One training patch = a template (:mod:`spinemm.synthesis.templates`)
seen through a random deformation, painted, then "scanned":

1. **Deformation** (:func:`patch_coords`): rotation up to ``max_rotate``
   degrees about each axis, a scaling per axis, and a smooth elastic
   displacement (a coarse random field, cubic-interpolated), composed into
   one coordinate map; the codes are read nearest-neighbour and the
   template's CT linearly through the same map, so image and labels move
   together.
2. **Painting** (:func:`paint_ct`): ``'ct'`` draws each structure's HU from
   the range a CT shows it in (:data:`HU_RANGES`; blood, organs and kidneys
   with or without contrast, one draw per patch), bone as a cortical shell
   around a cancellous core (each vertebra its own density); inside the
   body, where the label map names nothing (fat, connective tissue), the
   template's own CT is kept, clipped to soft-tissue HU, so the patch keeps
   real texture. ``'random'`` (SynthSeg's way) gives every structure a
   random HU in -1000..1500: the network has to use shape, not intensity.
   ``'real'`` keeps the template's whole CT and scales and shifts each
   structure's HU at random (bone from osteoporotic to dense): real
   texture everywhere, anatomy deformed.
3. **Acquisition** (:func:`simulate_acquisition`): a slice thickness of
   0.5-5 mm (Gaussian blur along the axial axis, partial volume), a smooth
   bias field and Gaussian noise.

Every draw comes from the ``rng`` passed in, so a seed gives the same patch.
"""
import numpy as np
from scipy import ndimage

from .anatomy_codes import (BODY, BONE, SACRUM, SOFT, anatomy_classes,
                            is_bone, is_rib, is_vertebra)

#: HU ranges (low, high) of each structure in ``'ct'`` painting; (plain,
#: contrast-enhanced) pairs for what contrast changes. Bone: cancellous
#: core and cortical shell (the shell's value is blended with the core's by
#: a partial-volume fraction, since a 2 mm voxel is thicker than a cortex).
HU_RANGES = dict(
    cancellous=(60.0, 350.0), cortical=(500.0, 1300.0),
    costal_cartilages=(60.0, 200.0), lung=(-920.0, -700.0),
    airway=(-1010.0, -900.0), air=(-1024.0, -980.0), fat=(-130.0, -70.0),
    heart=((30.0, 60.0), (150.0, 400.0)), artery=((30.0, 60.0), (150.0, 450.0)),
    vein=((30.0, 60.0), (80.0, 220.0)), liver=((45.0, 70.0), (80.0, 140.0)),
    spleen=((40.0, 60.0), (90.0, 150.0)), kidney=((25.0, 45.0), (120.0, 260.0)),
    organ=(15.0, 70.0), bowel=(-60.0, 60.0), muscle=(35.0, 70.0),
    spinal_cord=(20.0, 45.0), brain=(25.0, 45.0))


def rotation(angles_deg):
    a, b, c = np.deg2rad(angles_deg)
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)],
                   [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0],
                   [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0],
                   [0, 0, 1]])
    return rx @ ry @ rz


def patch_coords(size, centre, rng, max_rotate=15.0, scale_range=(0.85, 1.15),
                 elastic_voxels=3.0, control_points=4, matrix=None):
    """Template voxel coordinates (3, *size) of a deformed patch centred at
    ``centre`` (template voxels). ``matrix`` (3x3) replaces the random
    rotation and scaling (tests: a known transform); ``elastic_voxels`` is
    the standard deviation of the elastic displacement's control points.
    ``max_rotate``: degrees, one bound for the three axes or three: about
    I (an axial turn), P (a coronal tilt) and R (a sagittal tilt: the
    upper thoracic column of a kyphotic chest leans 20-40 degrees)."""
    size = tuple(int(s) for s in size)
    grid = np.indices(size, dtype=np.float32).reshape(3, -1)
    grid -= ((np.asarray(size, np.float32) - 1) / 2)[:, None]
    if matrix is None:
        scale = rng.uniform(*scale_range) * rng.uniform(0.95, 1.05, 3)
        bound = np.broadcast_to(np.asarray(max_rotate, float), (3, ))
        matrix = rotation(rng.uniform(-bound, bound, 3)) / scale
    coords = (np.asarray(matrix, np.float32) @ grid).reshape((3, ) + size)
    coords += np.asarray(centre, np.float32).reshape(3, 1, 1, 1)
    if elastic_voxels > 0:
        ctrl = rng.normal(0, elastic_voxels, (3, ) + (control_points, ) * 3)
        for k in range(3):
            coords[k] += smooth_field(ctrl[k], size)
    return coords


def smooth_field(ctrl, size):
    """A coarse random grid ``ctrl`` interpolated to ``size``: cubic up to
    a quarter of the size, then linear (the field is smooth at that scale;
    a cubic zoom straight to the full size took 45 ms of a 0.2 s slab)."""
    size = tuple(int(s) for s in size)
    mid = tuple(max(c, -(-s // 4)) for c, s in zip(ctrl.shape, size))
    field = ndimage.zoom(ctrl, [m / c for m, c in zip(mid, ctrl.shape)],
                         order=3)[:mid[0], :mid[1], :mid[2]]
    return ndimage.zoom(field, [s / m for s, m in zip(size, field.shape)],
                        order=1)[:size[0], :size[1], :size[2]]


def sample_template(codes, ct, coords):
    """Codes (nearest) and HU (linear; None without a CT) at ``coords``;
    outside the template: code 0 (air) and -1024 HU."""
    c = ndimage.map_coordinates(codes, coords, order=0, mode='constant',
                                cval=0).astype(np.uint8)
    h = None if ct is None else ndimage.map_coordinates(
        ct, coords, order=1, mode='constant', cval=-1024.0).astype(np.float32)
    return c, h


def _draw(rng, key, contrast):
    r = HU_RANGES[key]
    if isinstance(r[0], tuple):
        r = r[1] if contrast else r[0]
    return rng.uniform(*r)


def repaint_real(codes, ct, rng, bone_scale=(0.7, 1.15),
                 soft_scale=(0.85, 1.15), shift_hu=25.0):
    """The template's own CT with each structure's HU scaled and shifted
    at random (bone by ``bone_scale``: from osteoporotic to dense; the rest
    by ``soft_scale`` and a shift of ``shift_hu`` standard deviation): real
    texture, other densities."""
    scale = np.ones(256, np.float32)
    shift = np.zeros(256, np.float32)
    present = np.unique(codes)
    bone = is_bone(present)
    scale[present] = np.where(bone, rng.uniform(*bone_scale, len(present)),
                              rng.uniform(*soft_scale, len(present)))
    shift[present] = rng.normal(0, shift_hu, len(present))
    shift[0] = 0.0
    scale[0] = 1.0
    return (ct * scale[codes] + shift[codes]).astype(np.float32)


def paint_ct(codes, rng, ct=None, mode='ct'):
    """HU image (float32) of template ``codes``: ``mode`` 'ct', 'random'
    or 'real' (the template's CT, repainted: :func:`repaint_real`; needs
    ``ct``) (module docstring)."""
    codes = np.asarray(codes)
    present = np.unique(codes)
    lut = np.zeros(256, np.float32)
    if mode == 'real':
        if ct is None:
            raise ValueError("mode 'real' repaints the template's CT; this "
                             'template has none')
        return repaint_real(codes, ct, rng)
    if mode == 'random':
        lut[present] = rng.uniform(-1000.0, 1500.0, len(present))
        cortical = rng.uniform(-1000.0, 1500.0)
    elif mode == 'ct':
        contrast = rng.rand() < 0.5
        base = rng.uniform(*HU_RANGES['cancellous'])
        names = {v: k for k, v in dict(SOFT, **BONE).items()}
        for code in present:
            code = int(code)
            if code == 0:
                lut[code] = _draw(rng, 'air', contrast)
            elif code == BODY:
                lut[code] = _draw(rng, 'fat', contrast)
            elif is_bone(code):
                lut[code] = np.clip(base + rng.normal(0, 30), 30, 450)
            else:
                lut[code] = _draw(rng, names[code], contrast)
        cortical = rng.uniform(*HU_RANGES['cortical'])
    else:
        raise ValueError(f"mode is 'ct', 'random' or 'real', not {mode!r}")
    hu = lut[codes]
    if mode == 'ct' and ct is not None:
        body = codes == BODY
        hu[body] = np.clip(ct[body], -200.0, 200.0) + rng.uniform(-30, 30)
    bone = is_bone(codes)
    if bone.any():
        shell = bone & ((ndimage.grey_erosion(codes, size=3) != codes) |
                        (ndimage.grey_dilation(codes, size=3) != codes))
        fraction = rng.uniform(0.3, 0.8)
        hu[shell] += fraction * (cortical - hu[shell])
    return hu


def simulate_acquisition(hu, rng, spacing=2.0, thickness_range=(0.5, 5.0),
                         noise_range=(0.0, 40.0), bias_hu=30.0):
    """Slice thickness (blur along axis 0, the axial axis of the
    ('I', 'P', 'R') grid), a smooth bias field and noise."""
    thickness = rng.uniform(*thickness_range)
    sigma_z = np.sqrt(max(thickness**2 - spacing**2, 0.0)) / 2.355 / spacing
    sigma = (sigma_z + rng.uniform(0.2, 0.6), ) + (rng.uniform(0.2, 0.6), ) * 2
    out = ndimage.gaussian_filter(hu, sigma)
    if bias_hu > 0:
        out += smooth_field(rng.normal(0, bias_hu, (3, 3, 3)), hu.shape)
    out += rng.normal(0, rng.uniform(*noise_range), hu.shape)
    return out.astype(np.float32)


def vertebra_centres(codes):
    """``{code: centre (voxels)}`` of every vertebra and the sacrum."""
    present = [int(c) for c in np.unique(codes)
               if is_vertebra(c) or c == SACRUM]
    if not present:
        return {}
    centres = ndimage.center_of_mass(np.ones(codes.shape), codes, present)
    return dict(zip(present, (np.asarray(c) for c in centres)))


def synthesize_patch(template, size, rng, paint_probs=(('ct', 0.8),
                                                       ('random', 0.2)),
                     foreground_prob=0.8, jitter=0.25, spacing=2.0,
                     centre=None, bone_texture_hu=None, body_centres=None,
                     bone_scale=None, side_wall=None, **deform):
    """One synthetic (HU, codes) patch of ``template`` (a dict with
    ``codes``, ``ct`` (or None) and ``centres``: :func:`vertebra_centres`,
    on the model grid). ``centre`` (template voxels) replaces the random
    choice (a vertebra's centre jittered by ``jitter`` of the patch size
    with ``foreground_prob``, else anywhere). ``bone_texture_hu`` (low,
    high): mottle the bone (:func:`add_bone_texture`); None: flat.
    ``bone_scale`` (low, high): the bone's HU of a CT-like painting
    ('ct', 'real') times one draw from that range (:func:`scale_bone`);
    None: as painted. ``side_wall`` (low, high): the vertebrae's walls
    other than the endplates pulled towards their insides, to one draw
    from that range of their contrast (:func:`soften_side_walls`; not for
    'random'); None: as painted.
    ``body_centres`` (a bool mask on the template's grid,
    :func:`spinemm.synthesis.body_centres.body_centre_mask`): carried
    along the same deformation and returned third."""
    codes, ct = template['codes'], template['ct']
    size = np.asarray(size)
    centres = list(template['centres'].values())
    if centre is not None:
        centre = np.asarray(centre, float)
    elif centres and rng.rand() < foreground_prob:
        centre = centres[rng.randint(len(centres))] + \
            rng.uniform(-jitter, jitter, 3) * size
    else:
        centre = rng.uniform(0, 1, 3) * (np.asarray(codes.shape) - 1)
    coords = patch_coords(size, centre, rng, **deform)
    pc, ph = sample_template(codes, ct, coords)
    modes, probs = zip(*[(m, p) for m, p in paint_probs
                         if m != 'real' or ct is not None])
    mode = modes[rng.choice(len(modes), p=np.asarray(probs) / sum(probs))]
    hu = paint_ct(pc, rng, ph, mode)
    if bone_scale is not None and mode != 'random':
        hu = scale_bone(hu, pc, rng.uniform(*bone_scale))
    if side_wall is not None and mode != 'random':
        hu = soften_side_walls(hu, pc, rng.uniform(*side_wall))
    if bone_texture_hu is not None:
        hu = add_bone_texture(hu, pc, rng, bone_texture_hu)
    hu = simulate_acquisition(hu, rng, spacing)
    if body_centres is None:
        return hu, pc
    return hu, pc, sample_template(body_centres.view(np.uint8), None,
                                   coords)[0].astype(bool)


def scale_bone(hu, codes, factor):
    """``hu`` with every bone voxel (shell and core) times ``factor``.
    The real CTs here have vertebral bodies of 60-140 HU inside (median of
    the voxels 4 mm deep or more) and 200-320 HU at the rim, where the
    painted phantoms have 140-380 and 150-750: a model trained on them
    marked the bright rim and posterior elements of real bodies and left
    their insides out (recall 0.4-0.6). A factor below 1 is an
    osteoporotic column."""
    out = hu.copy()
    bone = is_bone(codes)
    out[bone] *= factor
    return out


def soften_side_walls(hu, codes, weight):
    """``hu`` with each vertebra's outer layer of voxels, except where it
    faces head or foot (the endplates and the other faces along axis 0 of
    the ('I', 'P', 'R') grid), pulled towards the median of the
    vertebra's inside: ``inside + weight * (wall - inside)``. A real
    vertebral body at 1-3 mm has bright endplates but front, back and
    side walls hardly brighter than its inside; the painted phantoms have
    a bright wall all round, and a model trained on them looked for a
    closed ring. ``weight`` 1 leaves the walls as they are."""
    codes = np.asarray(codes)
    vert = is_vertebra(codes)
    if not vert.any() or weight == 1.0:
        return hu
    wall = vert & ((ndimage.grey_erosion(codes, size=3) != codes) |
                   (ndimage.grey_dilation(codes, size=3) != codes))
    ends = (ndimage.grey_erosion(codes, size=(3, 1, 1)) != codes) | \
        (ndimage.grey_dilation(codes, size=(3, 1, 1)) != codes)
    side = wall & ~ends
    inside = vert & ~wall
    has = np.unique(codes[inside])
    lut = np.zeros(256, np.float32)
    lut[has] = ndimage.median(hu, np.where(inside, codes, 0), has)
    side &= np.isin(codes, has)  # a vertebra all wall keeps it
    out = hu.copy()
    ref = lut[codes[side]]
    out[side] = ref + weight * (hu[side] - ref)
    return out


def add_bone_texture(hu, codes, rng, amplitude_hu=(0.0, 150.0),
                     grain_voxels=(0.5, 1.5)):
    """Mottled bone: smooth random noise (standard deviation drawn from
    ``amplitude_hu``, grain a Gaussian of ``grain_voxels``) added inside
    every bone. Real vertebral bodies are heterogeneous (trabeculae,
    vessels, sclerosis); a phantom's are flat, and a model trained on flat
    bone missed most thoracic bodies of the real chest CT."""
    bone = is_bone(codes)
    if not bone.any():
        return hu
    noise = ndimage.gaussian_filter(rng.normal(0, 1, hu.shape),
                                    rng.uniform(*grain_voxels))
    noise /= max(float(noise.std()), 1e-6)
    out = hu.copy()
    out[bone] += rng.uniform(*amplitude_hu) * noise[bone]
    return out


__all__ = ['HU_RANGES', 'rotation', 'patch_coords', 'sample_template',
           'add_bone_texture', 'scale_bone', 'smooth_field',
           'paint_ct', 'simulate_acquisition', 'vertebra_centres',
           'synthesize_patch', 'anatomy_classes', 'is_rib']
