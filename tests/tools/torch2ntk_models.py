"""Models for tests/tools/torch2ntk.sh: what scripts/torch2ntk.py exports
(classes and functions building an nn.Module, called without arguments).
Their parameters and BatchNorm statistics are drawn away from torch's
initial values so that every tensor counts."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def randomise(net, seed):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in net.state_dict().items():
            if name.endswith("num_batches_tracked"):
                tensor.fill_(7)
            elif name.endswith("running_var"):
                tensor.copy_(0.3 + torch.rand(tensor.shape, generator=generator))
            elif name.endswith(("running_mean", "bias")):
                tensor.copy_(0.3 * torch.randn(tensor.shape, generator=generator))
            elif tensor.dim() == 1:  # BatchNorm/LayerNorm gamma
                tensor.copy_(1.0 + 0.5 * torch.randn(tensor.shape, generator=generator))
            else:
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / tensor[0].numel() ** 0.5)
    return net


class SmallCNN(nn.Module):
    """3x8x8 images: conv (padding 1, no bias), BatchNorm2d, functional relu,
    max pooling, a stride-2 conv, BatchNorm2d with its own eps, GELU, a
    flatten of 5 x 2 x 2 values (torch's C, H, W order) into a Linear,
    BatchNorm1d, dropout, tanh, Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 5, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(5, eps=1e-3)
        self.act = nn.GELU()
        self.fc1 = nn.Linear(5 * 2 * 2, 6)
        self.bn3 = nn.BatchNorm1d(6)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(6, 3)
        randomise(self, 1)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.act(self.bn2(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = torch.tanh(self.drop(self.bn3(self.fc1(x))))
        return self.fc2(x)


def layer_norm_mlp():
    """6 features: Linear, LayerNorm, SiLU, Linear, LeakyReLU(0.1),
    LayerNorm with its own eps, Linear to 2 outputs."""
    return randomise(nn.Sequential(
        nn.Linear(6, 16), nn.LayerNorm(16), nn.SiLU(), nn.Linear(16, 16), nn.LeakyReLU(0.1),
        nn.LayerNorm(16, eps=1e-4), nn.Linear(16, 2)), 2)


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)

    def forward(self, x):
        return x + self.fc2(F.relu(self.fc1(self.norm(x))))


class ResidualMLP(nn.Module):
    """A pre-norm residual MLP: identity shortcuts (x + body(x)), the last
    block with a Linear shortcut."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(6, 8)
        self.blocks = nn.Sequential(Block(8), Block(8))
        self.project = nn.Linear(8, 8)
        self.body = nn.Sequential(nn.LayerNorm(8), nn.Linear(8, 8), nn.Tanh())
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 2)
        randomise(self, 4)

    def forward(self, x):
        x = self.blocks(self.embed(x))
        x = self.project(x) + self.body(x)
        return self.head(self.norm(x))


class ConcatNet(nn.Module):
    """Two conv branches joined on the channels (torch.cat(dim=1))."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 3, 3, padding="same")
        self.left = nn.Conv2d(3, 2, 1)
        self.right = nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular")
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(6, 2)
        randomise(self, 5)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = torch.cat([self.left(x), self.right(x)], dim=1)
        return self.fc(torch.flatten(self.pool(x), 1))


class Upsampling(nn.Module):
    """nn.Upsample has no ntkgram layer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.features = nn.Sequential(nn.ReLU(), nn.Upsample(scale_factor=2))
        self.fc = nn.Linear(2 * 8 * 8, 1)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(self.conv(x)), 1))


class Doubling(nn.Module):
    """x * 2 (operator.mul) has no ntkgram layer."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc2(self.fc1(x) * 2)


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock, as written there (out += identity)."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TinyResNet(nn.Module):
    """A ResNet in torchvision's shape: stem, a block with an identity
    shortcut, a downsampling block (stride 2, 1x1 conv shortcut), global
    average pooling, fc."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(BasicBlock(4, 4))
        self.layer2 = nn.Sequential(BasicBlock(4, 8, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, 3)
        randomise(self, 3)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))
